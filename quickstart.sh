#!/usr/bin/env bash
# wasmlab quick start. On a fresh Debian 12 machine with Python 3.11:
#   ./quickstart.sh run    set up, run the default job (every runtime found, size medium), summary and HTML report
#   ./quickstart.sh test   set up, then run the test suite
#   ./quickstart.sh setup  only set up (.venv with wasmlab and its runtimes; system packages when root)
# Extra arguments after `run` or `test` go to `wasmlab run` or pytest.
set -euo pipefail
cd "$(dirname "$0")"

# The distribution's python3 comes first: Debian builds it with PGO and LTO and links the
# interpreter in, while a pyenv or source build (often first on PATH) runs our engine and pywasm
# 10-25% slower. PYTHON=... chooses another; `wasmlab doctor` says which one hosts the engines.
default_python() {
  if /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo /usr/bin/python3
  else
    echo python3
  fi
}
PYTHON=${PYTHON:-$(default_python)}
VENV=${WASMLAB_VENV:-.venv}
APT_PACKAGES=(python3-venv python3-dev build-essential hyperfine  # build-essential: pywasm3 builds from source
  qemu-user-static binfmt-support libc6-arm64-cross libgcc-s1-arm64-cross)  # the arm64-emulated host
APT_PACKAGES+=(gjs)  # the spidermonkey runtime (SpiderMonkey through gjs)
APT_PACKAGES+=(chromium)  # headless browser check of the HTML report

# `./quickstart.sh run` with no arguments: the workloads at size medium, where they last long
# enough to measure throughput (size small mostly measures start-up, so a fast-starting
# interpreter would rank above a JIT). Our engine takes 1-19 s per workload there, so it gets two
# samples after its warm-up (which also fills its translation cache); pywasm needs minutes to an
# hour per workload, so it is bounded at 10 s per process and its cells read "at least N times
# slower". About 12 minutes on 2 cores.
DEFAULT_RUN_ARGS=(--size medium --repeat 3 --warmup 1 --samples-for interp=2/1 pywasm=1/0
  --timeout-for pywasm=10 --parallel pywasm=2)

say() { printf '==> %s\n' "$*" >&2; }

setup_system() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "not root (or no apt-get): skipping system packages (${APT_PACKAGES[*]}); wasmlab doctor says what is missing"
    return
  fi
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  # npm installs jco (components suite) into the cache folder. Only when there is none: a
  # NodeSource nodejs carries its own npm and conflicts with Debian's package.
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v node >/dev/null || say "node not found: the node (V8) runtime will be reported unavailable"
}

setup_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $($PYTHON --version) ($(command -v "$PYTHON"))"
    "$PYTHON" -m venv "$VENV"
  elif [ "$("$VENV/bin/python" -c 'import os, sys; print(os.path.realpath(sys._base_executable))')" != \
         "$("$PYTHON" -c 'import os, sys; print(os.path.realpath(sys.executable))')" ]; then
    say "note: $VENV was made with another Python than $PYTHON; remove it to start over with $PYTHON"
  fi
  say "installing wasmlab and its runtimes into $VENV"
  # Hide pip's notes about unreachable local index mirrors; real errors still show.
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[all]" 2> >(grep -v '^WARNING: Location' >&2)
  # Bytecode ahead of time: with PYTHONDONTWRITEBYTECODE set, every Python-hosted runtime's
  # cold start would otherwise include compiling lab/ again.
  "$VENV/bin/python" -m compileall -q lab >/dev/null
}

setup() {
  setup_system
  setup_python
  if [ "$(id -u)" = 0 ]; then
    say "arm64-emulated host: registering qemu-aarch64, unpacking the aarch64 wasmtime"
    "$VENV/bin/python" -m lab.hosts.arm64 || say "arm64-emulated host not ready (wasmlab doctor --host arm64-emulated says why)"
  fi
  # Docker daemon for the docker runner: as root, installs docker.io and starts dockerd when none
  # answers; otherwise prints why not. Never fatal: the runner then reports itself unavailable.
  "$VENV/bin/python" -m lab.runners.docker.setup || say "docker runtime not ready (wasmlab doctor says why)"
  # jco and its preview2 shim, pinned, into the cache folder: the components suite's builds and node.
  "$VENV/bin/python" -m lab.hosts.npm_tools || say "components suite not ready (npm tools missing)"
  say "building the workload programs (first time: zig builds its libc, a minute or two)"
  "$VENV/bin/wasmlab" build >/dev/null
}

command=${1:-}
shift || true
case "$command" in
  setup) setup ;;
  run)
    setup
    "$VENV/bin/wasmlab" doctor
    [ $# -gt 0 ] || set -- "${DEFAULT_RUN_ARGS[@]}"
    say "wasmlab run $*"
    run_dir=$("$VENV/bin/wasmlab" run "$@" | tail -n 1)  # the summary goes to stderr as it ends
    say "results: $run_dir"
    say "report: $("$VENV/bin/wasmlab" report "$run_dir")"
    ;;
  test)
    setup
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
