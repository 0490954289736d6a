#!/bin/sh
# Installs a build tree into a fresh prefix and builds a small program against it with the
# flags pkg-config gives for tasvir (the library's documented use, README).
# Usage: check-install.sh BUILD_DIR CC [EXTRA_FLAGS]   (EXTRA_FLAGS: e.g. the sanitizers the
# libraries were built with)
build=$1
cc=${2:-cc}
extra=${3:-}
[ -d "$build" ] || { echo "check-install: no such build directory: $build" >&2; exit 2; }
dir=$(mktemp -d /tmp/tasvir-install.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
cmake --install "$build" --prefix "$dir/prefix" >"$dir/install.log" 2>&1 ||
    { cat "$dir/install.log"; echo "check-install: cmake --install failed" >&2; exit 1; }
pc=$(find "$dir/prefix" -name tasvir.pc | head -1)
[ -n "$pc" ] || { echo "check-install: tasvir.pc was not installed" >&2; exit 1; }
cat >"$dir/prog.c" <<'PROG'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <tasvir/loop.h>
#include <tasvir/tasvir.h>

int main(void)
{
    struct tasvir_loop_net_conf lc;
    struct tasvir_loop_net *net;
    struct tasvir_loop_port *port;
    struct tasvir_node_conf c;
    struct tasvir_node *node;
    if (tasvir_loop_net_conf_init(&lc) || tasvir_loop_net_create(&lc, &net) ||
        tasvir_loop_port_create(net, 0, &port) || tasvir_node_conf_init(&c))
        return 1;
    c.backend = tasvir_loop_port_backend(port);
    if (tasvir_node_create(&c, &node))
        return 1;
    tasvir_node_destroy(node);
    tasvir_loop_net_destroy(net);
    return strcmp(tasvir_strerror(-EINVAL), "") ? 0 : 1;
}
PROG
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs tasvir) ||
    { echo "check-install: pkg-config cannot read $pc" >&2; exit 1; }
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $extra "$dir/prog.c" $flags -lpthread -o "$dir/prog" ||
    { echo "check-install: a program does not build with: $flags" >&2; exit 1; }
"$dir/prog" || { echo "check-install: the installed library does not run" >&2; exit 1; }
echo "installed, found by pkg-config ($flags), a program built and ran"
