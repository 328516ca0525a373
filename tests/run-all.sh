#!/usr/bin/env bash
# Every test of capz, from a clean checkout: Rust unit, integration and end-to-end tests
# (one debug build shared by all), the VS Code grammar tests, and formatting and lints.
# .ci/run calls this; so can you.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "tmux (for the REPL terminal test)"
if ! command -v tmux >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq tmux) || echo "tmux install failed: tests/repl_tmux.rs will skip"
  elif [ -n "${CI:-}" ] && command -v sudo >/dev/null; then
    (sudo apt-get update -qq && sudo apt-get install -y -qq tmux) || echo "tmux install failed: tests/repl_tmux.rs will skip"
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

step "ARM conformance: the Azure SDK for Python against capz emulator serve"
CAPZ_BIN="$PWD/target/debug/capz" tests/conformance/run.sh

step "Azure CLI conformance: the seeds' az sequences against capz emulator serve --tls --require-auth"
CAPZ_BIN="$PWD/target/debug/capz" tests/conformance/azcli/run.sh

if [ -x editors/vscode/test.sh ]; then
  step "VS Code extension: grammar tests and packaging"
  editors/vscode/test.sh
fi
