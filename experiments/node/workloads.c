/*
 * workloads.c — the table of workloads tasvir-node can run (see workload.h), and helpers
 * they share.
 *
 * "versioned" (wl_versioned.c) needs the shared workload library (tasvir_workload); a
 * build without it leaves TNODE_HAVE_VERSIONED undefined and gets "local" alone.
 * tasvir-node and tasvir-sim (which builds every wl_*.c) define it and have both.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

extern const struct tnode_workload tnode_wl_local;
#ifdef TNODE_HAVE_VERSIONED
extern const struct tnode_workload tnode_wl_versioned;
#endif

const struct tnode_workload *const tnode_workloads[] = {
#ifdef TNODE_HAVE_VERSIONED
    &tnode_wl_versioned,
#endif
    &tnode_wl_local,
    NULL,
};

#ifdef TNODE_HAVE_VERSIONED
const char *const tnode_default_workload = "versioned";
#else
const char *const tnode_default_workload = "local";
#endif

const struct tnode_workload *tnode_workload_find(const char *name)
{
    for (const struct tnode_workload *const *w = tnode_workloads; *w; w++)
        if (!strcmp((*w)->name, name))
            return *w;
    return NULL;
}

int tnode_parse_time_ns(const char *s, uint64_t *ns)
{
    static const struct {
        const char *unit;
        double scale;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    if (!strcmp(s, "0")) {
        *ns = 0;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v >= 0))
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit))
            continue;
        double x = v * units[i].scale;
        if (x > 1e16)
            return -1;
        *ns = (uint64_t)(x + 0.5);
        return 0;
    }
    return -1;
}
