/*
 * workloads.c — the table of workloads tasvir-node can run (see workload.h).  A shared
 * workload module (experiments/workload/) plugs in with one adapter entry here.
 */
#include <string.h>

#include "workload.h"

extern const struct tnode_workload tnode_wl_local;

const struct tnode_workload *const tnode_workloads[] = {
    &tnode_wl_local,
    NULL,
};

const struct tnode_workload *tnode_workload_find(const char *name)
{
    for (const struct tnode_workload *const *w = tnode_workloads; *w; w++)
        if (!strcmp((*w)->name, name))
            return *w;
    return NULL;
}
