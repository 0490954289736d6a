/*
 * pagemem.c — see pagemem.h.
 */
#include "pagemem.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_bytes(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096u;
}

/* The mapping unit: its length is len rounded up to it, its alignment at least it. */
static size_t unit_bytes(bool huge)
{
    return huge ? TASVIR_PAGEMEM_HUGE_BYTES : page_bytes();
}

void *tasvir_pagemem_alloc(size_t len, size_t align, bool huge)
{
    if (len == 0 || align == 0 || (align & (align - 1))) {
        errno = EINVAL;
        return NULL;
    }
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

void tasvir_pagemem_free(void *p, size_t len, bool huge)
{
    if (!p)
        return;
    size_t unit = unit_bytes(huge);
    munmap(p, (len + unit - 1) & ~(unit - 1));
}
