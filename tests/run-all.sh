#!/usr/bin/env bash
# Every test of capz, from a clean checkout: Rust unit, integration and end-to-end tests
# (one debug build shared by all), the VS Code grammar tests, and formatting and lints.
# .ci/run calls this; so can you.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "tools the tests need: tmux (REPL terminal test), python3 with venv (conformance), node and npm (VS Code extension)"
# No test skips because a tool is missing: they fail naming it. So install what is missing
# (as root, or with passwordless sudo), or stop here saying what to install.
need=()
command -v tmux >/dev/null || need+=(tmux)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3 python3-venv)
{ command -v node >/dev/null && command -v npm >/dev/null; } || need+=(nodejs npm)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    echo "tests/run-all.sh: missing ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
    exit 1
  fi
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "build (debug, all targets)"
cargo build --workspace --all-targets --locked

step "capz fmt --check examples"
target/debug/capz fmt --check examples

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "ARM conformance: the Azure SDK for Python (pinned and newest releases) against capz emulator serve"
CAPZ_BIN="$PWD/target/debug/capz" tests/conformance/run.sh

step "Azure CLI conformance: the seeds' az sequences against capz emulator serve --tls --require-auth"
CAPZ_BIN="$PWD/target/debug/capz" tests/conformance/azcli/run.sh

step "VS Code extension: grammar tests and packaging"
editors/vscode/test.sh
