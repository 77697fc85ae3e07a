/*
 * memset / memcpy / memmove for native modules.  Our C never calls them, but
 * the compiler may emit calls for struct copies and zeroing; a native module
 * has no libc to resolve them.  The linker drops these when nothing calls
 * them.  Compile with -fno-tree-loop-distribute-patterns (else the loops below
 * would be turned back into calls to themselves).
 */
#include <stddef.h>
#include <stdint.h>

void *memset(void *dst, int value, size_t n) {
    uint8_t *d = dst;
    while (n--) {
        *d++ = (uint8_t)value;
    }
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d < s) {
        while (n--) {
            *d++ = *s++;
        }
    } else {
        d += n;
        s += n;
        while (n--) {
            *--d = *--s;
        }
    }
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
    return memmove(dst, src, n);
}
