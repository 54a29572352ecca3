/*
 * _dl_find_object() for static VeridianOS (musl) programs.
 *
 * Debian's libgcc_eh.a is built for glibc 2.35+, so gcc's unwinder looks up
 * a program counter's unwind tables with _dl_find_object(), which musl does
 * not provide. This implementation answers from dl_iterate_phdr(): the loaded
 * object whose PT_LOAD segments contain the address, and its PT_GNU_EH_FRAME.
 * `cargo xtask toolchain` adds it to the sysroot's copy of libgcc_eh.a.
 */
#include <link.h>
#include <stddef.h>
#include <stdint.h>

/* The x86_64 layout glibc defines in <dlfcn.h> (no dlfo_eh_dbase field). */
struct dl_find_object {
    unsigned long long int dlfo_flags;
    void *dlfo_map_start;
    void *dlfo_map_end;
    struct link_map *dlfo_link_map;
    void *dlfo_eh_frame;
    unsigned long long int dlfo_reserved[7];
};

struct lookup {
    uintptr_t pc;
    struct dl_find_object *result;
    int found;
};

static int visit_object(struct dl_phdr_info *info, size_t size, void *data)
{
    struct lookup *lookup = data;
    uintptr_t low = UINTPTR_MAX, high = 0;
    const ElfW(Phdr) *eh_frame = NULL;
    int contains_pc = 0;
    (void)size;

    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *phdr = &info->dlpi_phdr[i];
        if (phdr->p_type == PT_LOAD) {
            uintptr_t start = info->dlpi_addr + phdr->p_vaddr;
            uintptr_t end = start + phdr->p_memsz;
            if (start < low)
                low = start;
            if (end > high)
                high = end;
            if (lookup->pc >= start && lookup->pc < end)
                contains_pc = 1;
        } else if (phdr->p_type == PT_GNU_EH_FRAME) {
            eh_frame = phdr;
        }
    }
    if (!contains_pc)
        return 0;

    lookup->result->dlfo_flags = 0;
    lookup->result->dlfo_map_start = (void *)low;
    lookup->result->dlfo_map_end = (void *)high;
    lookup->result->dlfo_link_map = NULL;
    lookup->result->dlfo_eh_frame =
        eh_frame ? (void *)(info->dlpi_addr + eh_frame->p_vaddr) : NULL;
    lookup->found = 1;
    return 1;
}

int _dl_find_object(void *pc, struct dl_find_object *result)
{
    struct lookup lookup = { (uintptr_t)pc, result, 0 };
    dl_iterate_phdr(visit_object, &lookup);
    return lookup.found ? 0 : -1;
}
