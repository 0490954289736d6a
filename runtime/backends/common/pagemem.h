/*
 * pagemem.h — zeroed memory for area copies, shared by the backends that do not get it
 * from elsewhere (loopback; ns-3; DPDK when hugepages are not available).  Internal to the
 * backends: not installed.
 *
 * A backend states its policy once (struct tasvir_pagemem): requests below map_min bytes
 * come from the heap (aligned_alloc + memset); larger ones are anonymous private mappings,
 * zero until first touched.  With `huge`, a mapping is aligned to 2 MiB, its length is
 * rounded up to 2 MiB and the kernel is asked for transparent huge pages
 * (madvise(MADV_HUGEPAGE); honoured when THP is "always" or "madvise", ignored when
 * "never"): random writes over areas larger than the TLB's reach (a few MiB with 4 KiB
 * pages) then stop paying a page walk per line, in the application and in the sync copy.
 *
 * tasvir_pagemem_free() tells the kinds apart by the same rule: give it the policy and the
 * len of the allocation.
 */
#ifndef TASVIR_BACKENDS_PAGEMEM_H
#define TASVIR_BACKENDS_PAGEMEM_H

#include <stdbool.h>
#include <stddef.h>

#define TASVIR_PAGEMEM_HUGE_BYTES ((size_t)2 << 20)

struct tasvir_pagemem {
    size_t map_min; /* requests of at least this many bytes are mapped (> 0) */
    bool huge;      /* mappings ask for transparent huge pages */
};

/* At least len bytes (len 0: one unit of align), zeroed, aligned to align (a power of
 * two); NULL with errno set (EINVAL: bad align; ENOMEM). */
void *tasvir_pagemem_alloc(const struct tasvir_pagemem *pm, size_t len, size_t align);
void tasvir_pagemem_free(const struct tasvir_pagemem *pm, void *p, size_t len);

#endif
