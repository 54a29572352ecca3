/* A dynamically linked musl program: prints the system's ID from
 * /etc/os-release, whether the kernel passed the interpreter's base
 * (AT_BASE) and the program's entry (AT_ENTRY), and whether musl's loader
 * resolves a symbol at run time (dlsym). */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

int main(void) {
    char line[256], id[64] = "?";
    FILE *f = fopen("/etc/os-release", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "ID=", 3) == 0) {
            snprintf(id, sizeof id, "%.63s", line + 3);
            id[strcspn(id, "\"\n")] = 0;
        }
    }
    void *sym = dlsym(RTLD_DEFAULT, "strlen");
    printf("dyn-c: os=%s at_base=%s at_entry=%s dlsym=%s\n", id,
           getauxval(AT_BASE) ? "set" : "zero",
           getauxval(AT_ENTRY) ? "set" : "zero",
           sym == (void *)strlen ? "ok" : "missing");
    return 0;
}
