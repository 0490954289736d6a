# tools/deps.sh — sourced by tests/run and experiments/run: the Debian packages this project
# needs, and a function that installs the missing ones (as root) or says exactly how.
# (libxml2-dev, libsqlite3-dev, libpython3.11-dev: ns-3's CMake package names their headers
# and libraries in its imported targets, but libns3-dev does not depend on them)
TASVIR_DEBS=(
  build-essential cmake pkg-config git
  libcriterion-dev
  libgsl-dev gnuplot-nox libjansson-dev libinih-dev uthash-dev
  libdpdk-dev dpdk-dev
  libns3-dev ns3
  libxml2-dev libsqlite3-dev libpython3.11-dev
  iproute2 procps
  clang libclang-rt-14-dev
)

# tasvir_ensure_deps: returns 0 when everything is installed; installs what is missing when
# running as root; otherwise prints the apt-get line and exits 2.
tasvir_ensure_deps() {
  local missing=() p
  for p in "${TASVIR_DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages; install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  echo "installing missing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# tasvir_build DIR [cmake args...]: configure (if needed) and build.
tasvir_build() {
  local dir=$1; shift
  cmake -S "$TASVIR_ROOT" -B "$dir" "$@" >&2
  cmake --build "$dir" -j"$(nproc)" >&2
}
