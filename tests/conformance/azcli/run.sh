#!/usr/bin/env bash
# The Azure CLI (pinned in requirements.txt) against `capz emulator serve --tls --require-auth`:
# the seeds' command sequences, verbatim (sequences.py). CAPZ_BIN names the capz binary
# (default: target/debug/capz). Fails, never skips, when something is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/setup.sh"
capz="${CAPZ_BIN:-$here/../../../target/debug/capz}"
exec timeout 900 "$here/.venv/bin/python" "$here/sequences.py" "$capz" "$here/.venv/bin/az"
