/*
 * tasvir-hwconfig — validate a testbed file (hw-configs/NAME.ini) and print it: for people,
 * as shell assignments (for experiments/testbed/launch), or as one node's EAL arguments.
 * Exit status: 0 valid, 1 output failed, 2 bad file or bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwconfig.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tasvir-hwconfig [OPTIONS] FILE\n"
            "\n"
            "Validate a Tasvir hardware testbed description and print it.\n"
            "\n"
            "  (default)          print the parsed testbed\n"
            "  -q, --quiet        only validate (exit status says it all)\n"
            "  -s, --shell        print shell assignments TB_* and NODE_<id>_* (for the launcher)\n"
            "  -e, --eal-args     print the EAL arguments of --node, one per line, placeholders\n"
            "                     expanded, --lcores and --file-prefix added when missing\n"
            "  -n, --node N       the node for --eal-args\n"
            "  -r, --run-id ID    value of {run} (default: tsv<pid>)\n"
            "  -i, --iface IF     value of {iface} (the node's veth in the bridge topology)\n"
            "  -h, --help         this text\n"
            "\n"
            "Exit status: 0 valid, 1 could not write the output, 2 bad file or usage.\n"
            "The file format is described in docs/testbed.md.\n");
}

static int parse_node(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || !*s || *end || v >= TASVIR_HWCONFIG_MAX_NODES)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"quiet", no_argument, NULL, 'q'},   {"shell", no_argument, NULL, 's'},
        {"eal-args", no_argument, NULL, 'e'}, {"node", required_argument, NULL, 'n'},
        {"run-id", required_argument, NULL, 'r'}, {"iface", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0},
    };
    int quiet = 0, shell = 0, eal = 0, have_node = 0;
    unsigned node = 0;
    const char *run = NULL, *iface = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "qsen:r:i:h", longopts, NULL)) != -1) {
        switch (o) {
        case 'q':
            quiet = 1;
            break;
        case 's':
            shell = 1;
            break;
        case 'e':
            eal = 1;
            break;
        case 'n':
            if (parse_node(optarg, &node)) {
                fprintf(stderr, "tasvir-hwconfig: --node %s: expected a node id in 0..%u\n",
                        optarg, TASVIR_HWCONFIG_MAX_NODES - 1);
                return 2;
            }
            have_node = 1;
            break;
        case 'r':
            run = optarg;
            break;
        case 'i':
            iface = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "tasvir-hwconfig: see --help\n");
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "tasvir-hwconfig: expected exactly one FILE (got %d); see --help\n",
                argc - optind);
        return 2;
    }
    if (quiet + shell + eal > 1) {
        fprintf(stderr, "tasvir-hwconfig: --quiet, --shell and --eal-args exclude each other\n");
        return 2;
    }
    if (eal && !have_node) {
        fprintf(stderr, "tasvir-hwconfig: --eal-args needs --node N\n");
        return 2;
    }
    if (!eal && (have_node || iface)) {
        fprintf(stderr, "tasvir-hwconfig: --node and --iface only go with --eal-args\n");
        return 2;
    }
    if (run && !*run) {
        fprintf(stderr, "tasvir-hwconfig: --run-id: expected a non-empty id\n");
        return 2;
    }
    char runbuf[32];
    if (!run) {
        snprintf(runbuf, sizeof(runbuf), "tsv%ld", (long)getpid());
        run = runbuf;
    }
    struct tasvir_hwconfig *c;
    char err[1024];
    int rc = tasvir_hwconfig_load(argv[optind], &c, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "tasvir-hwconfig: %s\n", err);
        return 2;
    }
    int status = 0;
    if (eal) {
        const struct tasvir_hwconfig_node *n = tasvir_hwconfig_node(c, node);
        if (!n) {
            fprintf(stderr, "tasvir-hwconfig: %s has no [node.%u]\n", c->path, node);
            tasvir_hwconfig_free(c);
            return 2;
        }
        struct tasvir_hwconfig_vars v = {run, iface};
        char **args;
        int n_args = tasvir_hwconfig_eal_argv(c, n, &v, &args, err, sizeof(err));
        if (n_args < 0) {
            fprintf(stderr, "tasvir-hwconfig: %s\n", err);
            tasvir_hwconfig_free(c);
            return 2;
        }
        for (int i = 0; i < n_args; i++)
            printf("%s\n", args[i]);
        tasvir_hwconfig_argv_free(args);
    } else if (shell) {
        tasvir_hwconfig_print_shell(c, stdout);
    } else if (!quiet) {
        tasvir_hwconfig_print(c, stdout);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "tasvir-hwconfig: writing the output failed\n");
        status = 1;
    }
    tasvir_hwconfig_free(c);
    return status;
}
