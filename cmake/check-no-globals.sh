#!/bin/sh
# Fails if a static library defines mutable data: .bss/.data/common symbols (B b D d C G g S s).
# AddressSanitizer's one-byte ODR indicators (__odr_asan.NAME, one per external global,
# constants included) are the sanitizer's, not the library's, and are left out.
# Usage: check-no-globals.sh LIB.a
lib=$1
[ -f "$lib" ] || { echo "check-no-globals: no such library: $lib" >&2; exit 2; }
out=$(nm --defined-only "$lib" | grep -E ' [bBdDcCgGsS] ' | grep -v ' __odr_asan\.')
if [ -n "$out" ]; then
  echo "mutable globals in $lib:"
  echo "$out"
  exit 1
fi
echo "no mutable globals in $lib"
