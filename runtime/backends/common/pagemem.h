/*
 * pagemem.h — zeroed, page-backed memory for area copies, shared by the backends that do
 * not get it from elsewhere (loopback; ns-3 for large areas; DPDK when hugepages are not
 * available).  Internal to the backends: not installed.
 *
 * A region is an anonymous private mapping, zero until first touched.  With `huge`, it is
 * aligned to 2 MiB, its length is rounded up to 2 MiB and the kernel is asked for
 * transparent huge pages (madvise(MADV_HUGEPAGE); honoured when THP is "always" or
 * "madvise", ignored when "never").  Random writes over areas larger than the TLB's reach
 * (a few MiB with 4 KiB pages) then stop paying a page walk per line, both in the
 * application and in the sync copy.
 *
 * tasvir_pagemem_free() needs the same len and huge as the allocation: the mapped length
 * is a function of them.
 */
#ifndef TASVIR_BACKENDS_PAGEMEM_H
#define TASVIR_BACKENDS_PAGEMEM_H

#include <stdbool.h>
#include <stddef.h>

#define TASVIR_PAGEMEM_HUGE_BYTES ((size_t)2 << 20)

/* A zeroed region of at least len bytes aligned to align (a power of two), or NULL with
 * errno set (EINVAL for a bad align or len 0, ENOMEM). */
void *tasvir_pagemem_alloc(size_t len, size_t align, bool huge);
void tasvir_pagemem_free(void *p, size_t len, bool huge);

#endif
