#!/usr/bin/env bash
# Run the Azure SDK conformance suite against `capz emulator serve`.
# CAPZ_BIN names the capz binary (default: target/debug/capz).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/setup.sh"
export CAPZ_BIN="${CAPZ_BIN:-$here/../../target/debug/capz}"
exec "$here/.venv/bin/python" -m pytest -q -p no:cacheprovider "$here" "$@"
