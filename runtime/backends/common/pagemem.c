/*
 * pagemem.c — see pagemem.h.
 */
#include "pagemem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_bytes(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096u;
}

/* The mapping unit: a mapping's length is len rounded up to it, its alignment at least it. */
static size_t unit_bytes(bool huge)
{
    return huge ? TASVIR_PAGEMEM_HUGE_BYTES : page_bytes();
}

static void *heap_alloc(size_t len, size_t align)
{
    size_t sz = (len + align - 1) & ~(align - 1);
    if (sz < len) { /* overflow */
        errno = ENOMEM;
        return NULL;
    }
    if (sz == 0)
        sz = align;
    void *m = aligned_alloc(align, sz);
    if (m)
        memset(m, 0, sz);
    return m;
}

static void *map_alloc(size_t len, size_t align, bool huge)
{
    size_t page = page_bytes(), unit = unit_bytes(huge);
    size_t mlen = (len + unit - 1) & ~(unit - 1), malign = align > unit ? align : unit;
    if (mlen < len || mlen + malign < mlen) { /* overflow */
        errno = ENOMEM;
        return NULL;
    }
    /* Map enough to place an aligned region inside, then unmap the slack on both sides:
     * what stays mapped is exactly [a, a + mlen), which free unmaps. */
    size_t extra = malign > page ? malign : 0;
    uint8_t *base = mmap(NULL, mlen + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    uint8_t *a = (uint8_t *)(((uintptr_t)base + malign - 1) & ~(uintptr_t)(malign - 1));
    if (a > base)
        munmap(base, (size_t)(a - base));
    size_t tail = (size_t)(base + mlen + extra - (a + mlen));
    if (tail)
        munmap(a + mlen, tail);
    /* advice only: a kernel without THP (or with it set to "never") keeps small pages */
    if (huge)
        (void)madvise(a, mlen, MADV_HUGEPAGE);
    return a;
}

void *tasvir_pagemem_alloc(const struct tasvir_pagemem *pm, size_t len, size_t align)
{
    if (align == 0 || (align & (align - 1))) {
        errno = EINVAL;
        return NULL;
    }
    return len >= pm->map_min ? map_alloc(len, align, pm->huge) : heap_alloc(len, align);
}

void tasvir_pagemem_free(const struct tasvir_pagemem *pm, void *p, size_t len)
{
    if (!p)
        return;
    if (len < pm->map_min) {
        free(p);
        return;
    }
    size_t unit = unit_bytes(pm->huge);
    munmap(p, (len + unit - 1) & ~(unit - 1));
}
