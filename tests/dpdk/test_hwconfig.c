/*
 * test_hwconfig.c — the hw-config parser (experiments/testbed/hwconfig.c), without DPDK.
 *
 * Covers: the shipped configurations load with the documented defaults; lcore maps
 * (ranges, lists, groups, cpu sets) are counted and bad ones named by position; eal
 * templates expand {run} {node} {iface} {pci} and {{, split with quotes, and get --lcores
 * and --file-prefix only when missing; continuation lines join; a missing placeholder
 * value is an error naming file, line and node; the shell output quotes safely.
 * (Bad files and their messages are covered by test_bad_inputs.sh.)
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tasvir/tasvir.h>
#include <unistd.h>

#include "hwconfig.h"

static const char *src(void)
{
    const char *s = getenv("TASVIR_SOURCE_DIR");
    cr_assert(not(eq(ptr, (void *)s, NULL)), "TASVIR_SOURCE_DIR is not set");
    return s;
}

static struct tasvir_hwconfig *load_shipped(const char *name)
{
    char path[512], err[512];
    snprintf(path, sizeof(path), "%s/hw-configs/%s", src(), name);
    struct tasvir_hwconfig *c = NULL;
    int rc = tasvir_hwconfig_load(path, &c, err, sizeof(err));
    cr_assert(eq(int, rc, 0), "%s: %s", name, err);
    return c;
}

static struct tasvir_hwconfig *load_text(const char *text, char *err, size_t errlen, int *rc)
{
    char path[] = "/tmp/tsvhwcXXXXXX";
    int fd = mkstemp(path);
    cr_assert(ge(int, fd, 0));
    cr_assert(eq(long, (long)write(fd, text, strlen(text)), (long)strlen(text)));
    close(fd);
    struct tasvir_hwconfig *c = NULL;
    *rc = tasvir_hwconfig_load(path, &c, err, errlen);
    unlink(path);
    return c;
}

Test(hwconfig, shipped_files_and_defaults)
{
    struct tasvir_hwconfig *c = load_shipped("local-memif.ini");
    cr_expect(eq(str, c->name, "local-memif"));
    cr_expect(eq(int, c->topology, TASVIR_HWCONFIG_TOPO_MEMIF));
    cr_expect(eq(u32, c->n_nodes, 2));
    cr_expect(eq(u32, c->mtu, 1500));
    cr_expect(eq(int, c->root_node, 0));
    cr_expect(eq(u32, c->nodes[1].n_lcores, 3));
    cr_expect(eq(str, c->nodes[1].host, "localhost"), "local nodes default to localhost");
    cr_expect(eq(u32, c->nack_gap_us, 2000));
    cr_expect(eq(int, c->clock_monotonic, 1));
    cr_expect(eq(u32, c->idle_sleep_us, 20), "default idle sleep");
    cr_expect(eq(int, c->copy_isa, TASVIR_COPY_AUTO), "default copy_isa");
    tasvir_hwconfig_free(c);

    c = load_shipped("local-bridge.ini");
    cr_expect(eq(u32, c->n_nodes, 4));
    cr_expect(eq(int, c->addressing, TASVIR_HWCONFIG_ADDR_MULTICAST));
    cr_expect(eq(u8, c->nodes[3].mac[5], 3));
    cr_expect(eq(u32, c->nack_gap_us, 200), "default NACK gap");
    cr_expect(eq(u32, c->idle_sleep_us, 100), "idle_sleep_us = 100");
    tasvir_hwconfig_free(c);

    c = load_shipped("example-cluster.ini");
    cr_expect(eq(int, c->topology, TASVIR_HWCONFIG_TOPO_CLUSTER));
    cr_expect(eq(u32, c->mtu, 9000));
    cr_expect(eq(str, c->nodes[2].pci, "0000:af:00.1"));
    cr_expect(eq(str, c->nodes[2].host, "node2.example.org"));
    cr_expect(eq(u32, c->nodes[2].hugepages, 1024));
    cr_expect(eq(int, c->nodes[3].has_mac, 0));
    cr_expect(eq(str, c->remote_build, "/opt/tasvir/build"));
    cr_expect(eq(int, c->sudo, 1));
    tasvir_hwconfig_free(c);
}

Test(hwconfig, lcore_maps)
{
    char err[256];
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("0-2", err, sizeof(err)), 3));
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("0,2,4", err, sizeof(err)), 3));
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("(0-2)@(0-1)", err, sizeof(err)), 3));
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("0@0,(1,2)@1,3-4@(2,3)", err, sizeof(err)), 5));
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("1,1,1", err, sizeof(err)), 1));
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("2-1", err, sizeof(err)), -EINVAL));
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("0,,1", err, sizeof(err)), -EINVAL));
    cr_expect(not(eq(ptr, strstr(err, "position 3"), NULL)), "%s", err);
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("(0-1", err, sizeof(err)), -EINVAL));
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("0x3", err, sizeof(err)), -EINVAL));
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("5000", err, sizeof(err)), -EINVAL));
    cr_expect(eq(int, tasvir_hwconfig_lcores_count("", err, sizeof(err)), -EINVAL));
}

static const char *const bridge_text =
    "[testbed]\n"
    "name = t\n"
    "topology = bridge\n"
    "idle_sleep_us = 75\n"
    "copy_isa = baseline\n"
    "[node.4]\n"
    "mac = 02:00:00:00:00:04\n"
    "lcores = 0-1\n"
    "eal = --no-huge -m 64\n"
    "      --vdev=net_af_packet0,iface={iface} --log-level='lib.*:error'\n"
    "      \"--trace=a b\" x{{y} {run}-{node}\n"
    "[node.7]\n"
    "lcores = 2,3\n"
    "eal = -l 2-3 --file-prefix=mine --vdev=net_af_packet0,iface={iface}\n";

Test(hwconfig, eal_expansion_and_defaults)
{
    char err[512];
    int rc;
    struct tasvir_hwconfig *c = load_text(bridge_text, err, sizeof(err), &rc);
    cr_assert(eq(int, rc, 0), "%s", err);
    cr_expect(eq(int, c->root_node, 4), "lowest node id by default");
    cr_expect(eq(u32, c->idle_sleep_us, 75));
    cr_expect(eq(int, c->copy_isa, TASVIR_COPY_BASELINE));
    const struct tasvir_hwconfig_node *n = tasvir_hwconfig_node(c, 4);
    cr_assert(not(eq(ptr, (void *)n, NULL)));
    struct tasvir_hwconfig_vars v = {"tsv77", "tsv77v4"};
    char **a;
    int argc = tasvir_hwconfig_eal_argv(c, n, &v, &a, err, sizeof(err));
    cr_assert(eq(int, argc, 10), "%s", err);
    cr_expect(eq(str, a[0], "--no-huge"));
    cr_expect(eq(str, a[2], "64"));
    cr_expect(eq(str, a[3], "--vdev=net_af_packet0,iface=tsv77v4"));
    cr_expect(eq(str, a[4], "--log-level=lib.*:error"));
    cr_expect(eq(str, a[5], "--trace=a b"));
    cr_expect(eq(str, a[6], "x{y}"));
    cr_expect(eq(str, a[7], "tsv77-4"));
    cr_expect(eq(str, a[8], "--lcores=0-1"));
    cr_expect(eq(str, a[9], "--file-prefix=tsv77-n4"));
    cr_expect(eq(ptr, a[argc], NULL));
    tasvir_hwconfig_argv_free(a);

    /* Node 7 sets -l and --file-prefix itself: nothing is added. */
    n = tasvir_hwconfig_node(c, 7);
    argc = tasvir_hwconfig_eal_argv(c, n, &v, &a, err, sizeof(err));
    cr_assert(eq(int, argc, 4), "%s", err);
    cr_expect(eq(str, a[2], "--file-prefix=mine"));
    tasvir_hwconfig_argv_free(a);

    /* Without an interface the template cannot expand: the message names the place. */
    struct tasvir_hwconfig_vars nov = {"tsv77", NULL};
    argc = tasvir_hwconfig_eal_argv(c, n, &nov, &a, err, sizeof(err));
    cr_expect(eq(int, argc, -EINVAL));
    cr_expect(not(eq(ptr, strstr(err, ":12: [node.7] eal: placeholder {iface} has no value"), NULL)),
              "%s", err);
    tasvir_hwconfig_free(c);
}

Test(hwconfig, file_prefix_is_added)
{
    char err[512];
    int rc;
    struct tasvir_hwconfig *c = load_text(
        "[testbed]\nname = t\ntopology = cluster\n[node.0]\nhost = h\nlcores = 0-3\n"
        "pci = 0000:01:00.0\neal = -a {pci}\n", err, sizeof(err), &rc);
    cr_assert(eq(int, rc, 0), "%s", err);
    struct tasvir_hwconfig_vars v = {"tsv9", NULL};
    char **a;
    int argc = tasvir_hwconfig_eal_argv(c, &c->nodes[0], &v, &a, err, sizeof(err));
    cr_assert(eq(int, argc, 4), "%s", err);
    cr_expect(eq(str, a[1], "0000:01:00.0"));
    cr_expect(eq(str, a[2], "--lcores=0-3"));
    cr_expect(eq(str, a[3], "--file-prefix=tsv9-n0"));
    tasvir_hwconfig_argv_free(a);
    tasvir_hwconfig_free(c);
}

Test(hwconfig, shell_output_quotes)
{
    char err[512];
    int rc;
    struct tasvir_hwconfig *c = load_text(
        "[testbed]\nname = t\ntopology = cluster\nssh_options = -o 'ProxyCommand=x y'\n"
        "[node.0]\nhost = h\nlcores = 0-1\neal = -a 0000:01:00.0\n", err, sizeof(err), &rc);
    cr_assert(eq(int, rc, 0), "%s", err);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tasvir_hwconfig_print_shell(c, f);
    fclose(f);
    cr_expect(not(eq(ptr, strstr(buf, "TB_SSH_OPTIONS='-o '\\''ProxyCommand=x y'\\'''\n"), NULL)),
              "%s", buf);
    cr_expect(not(eq(ptr, strstr(buf, "TB_NODES='0'\n"), NULL)));
    cr_expect(not(eq(ptr, strstr(buf, "TB_COPY_ISA='auto'\n"), NULL)), "%s", buf);
    cr_expect(not(eq(ptr, strstr(buf, "NODE_0_EAL='-a 0000:01:00.0'\n"), NULL)));
    free(buf);
    tasvir_hwconfig_free(c);
}
