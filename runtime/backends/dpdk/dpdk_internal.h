/*
 * dpdk_internal.h — declarations shared by the DPDK backend's files (never installed).
 */
#ifndef TASVIR_DPDK_INTERNAL_H
#define TASVIR_DPDK_INTERNAL_H

/* The "tasvir" rte_log type (registered on first use; DPDK keeps the registry). */
int tasvir__dpdk_logtype(void);

#endif /* TASVIR_DPDK_INTERNAL_H */
