/*
 * eal.c — the DPDK backend's process-wide helpers: EAL init/cleanup, the log sink that
 * forwards to rte_log, and launching application functions on worker lcores.
 *
 * The only process-wide state is DPDK's own (EAL, the log-type registry, lcore table):
 * this file keeps none of its own.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_version.h>

#include "dpdk_internal.h"
#include "tasvir/dpdk.h"
#include "tasvir/tasvir.h"

int tasvir__dpdk_logtype(void)
{
    /* rte_log_register returns the existing id when the name is already registered. */
    int t = rte_log_register("tasvir");
    return t >= 0 ? t : RTE_LOGTYPE_USER1;
}

const char *tasvir_dpdk_version(void)
{
    return rte_version();
}

int tasvir_dpdk_eal_init(int argc, char **argv)
{
    int rc = rte_eal_init(argc, argv);
    if (rc < 0)
        return rte_errno ? -rte_errno : -EINVAL;
    (void)tasvir__dpdk_logtype();
    return rc;
}

/* Remove the files EAL leaves in its runtime directory (config, fbarray_*, mp_socket,
 * telemetry socket), then the directory.  Only the entries are touched, not subdirectories. */
static void remove_runtime_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int tasvir_dpdk_eal_cleanup(void)
{
    char dir[PATH_MAX] = "";
    int primary = rte_eal_process_type() == RTE_PROC_PRIMARY;
    const char *rd = rte_eal_get_runtime_dir();
    if (rd)
        snprintf(dir, sizeof(dir), "%s", rd);
    int rc = rte_eal_cleanup();
    if (rc < 0)
        return rte_errno ? -rte_errno : rc;
    if (primary && dir[0])
        remove_runtime_dir(dir);
    return 0;
}

void tasvir_dpdk_log(void *arg, int level, const char *msg)
{
    (void)arg;
    uint32_t lvl;
    switch (level) {
    case TASVIR_LOG_ERR:
        lvl = RTE_LOG_ERR;
        break;
    case TASVIR_LOG_WARN:
        lvl = RTE_LOG_WARNING;
        break;
    case TASVIR_LOG_INFO:
        lvl = RTE_LOG_INFO;
        break;
    default:
        lvl = RTE_LOG_DEBUG;
        break;
    }
    rte_log(lvl, (uint32_t)tasvir__dpdk_logtype(), "TASVIR: %s\n", msg);
}

unsigned tasvir_dpdk_worker_count(void)
{
    unsigned n = rte_lcore_count();
    return n ? n - 1 : 0;
}

int tasvir_dpdk_worker_launch(unsigned index, int (*fn)(void *), void *arg, unsigned *lcore_out)
{
    if (!fn)
        return -EINVAL;
    unsigned l, i = 0;
    RTE_LCORE_FOREACH_WORKER(l)
    {
        if (i++ != index)
            continue;
        int rc = rte_eal_remote_launch(fn, arg, l);
        if (rc != 0)
            return rc;
        if (lcore_out)
            *lcore_out = l;
        return 0;
    }
    return -ENOENT;
}

int tasvir_dpdk_workers_wait(void)
{
    int first = 0;
    unsigned l;
    RTE_LCORE_FOREACH_WORKER(l)
    {
        int rc = rte_eal_wait_lcore(l);
        if (rc != 0 && first == 0)
            first = rc;
    }
    return first;
}

int tasvir_dpdk_lcore_id(void)
{
    unsigned l = rte_lcore_id();
    return l == LCORE_ID_ANY ? -1 : (int)l;
}
