/* Uses musl's stdio and string functions from the VeridianOS sysroot. */
#include <stdio.h>

#ifdef __GLIBC__
#error "compiled against glibc headers: the cc crate did not use x86_64-veridian-gcc"
#endif
#include <string.h>

int veridian_greet(const char *name, char *out, size_t len)
{
    return snprintf(out, len, "C says hello to %s (%zu bytes)", name, strlen(name));
}
