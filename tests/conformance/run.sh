#!/usr/bin/env bash
# Run the Azure SDK conformance suite against `capz emulator serve`, once per SDK set:
# the pinned packages (requirements.txt) and the newest releases (requirements-newest.txt).
# CAPZ_BIN names the capz binary (default: target/debug/capz); CAPZ_SDK_SETS picks the sets
# (default "pinned newest"). Extra arguments go to pytest. Fails if any set fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CAPZ_BIN="${CAPZ_BIN:-$here/../../target/debug/capz}"
failed=()
for set in ${CAPZ_SDK_SETS:-pinned newest}; do
  venv="$("$here/setup.sh" "$set" | tail -n 1)"
  echo "== conformance: SDK set '$set' ($(grep -h '^azure-mgmt-network' "$here/$( [ "$set" = pinned ] && echo requirements.txt || echo requirements-$set.txt)" | cut -d' ' -f1))"
  if ! CAPZ_SDK_SET="$set" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here" "$@"; then
    failed+=("$set")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "conformance failed for SDK set(s): ${failed[*]}" >&2
  exit 1
fi
