/*
 * main.c — tasvir-bench entry point: dispatches to a subcommand from the BENCH_COMMANDS
 * table (bench.h).  Each subcommand lives in its own file, parses its own options and
 * prints CSV on stdout (header line first) and progress on stderr.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

struct bench_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

#define BENCH_TABLE_ENTRY(name, fn, summary) {name, fn, summary},
static const struct bench_cmd commands[] = {BENCH_COMMANDS(BENCH_TABLE_ENTRY)};
#undef BENCH_TABLE_ENTRY

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: tasvir-bench COMMAND [OPTIONS]\n"
            "       tasvir-bench COMMAND --help\n"
            "\n"
            "Benchmarks of the Tasvir runtime.  Results are CSV on stdout (one header line,\n"
            "then one row per measurement); progress and notes go to stderr.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Options:\n"
            "  -h, --help  show this help\n"
            "\n"
            "Exit status: 0 ok, 1 a benchmark failed, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "tasvir-bench: missing COMMAND\n");
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    if (cmd[0] == '-')
        fprintf(stderr, "tasvir-bench: unknown option '%s' (options follow the COMMAND)\n", cmd);
    else
        fprintf(stderr, "tasvir-bench: unknown command '%s'\n", cmd);
    fprintf(stderr, "Try 'tasvir-bench --help'.\n");
    return 2;
}
