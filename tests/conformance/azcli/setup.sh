#!/usr/bin/env bash
# Create tests/conformance/azcli/.venv with the pinned azure-cli (idempotent: reinstalls
# only when requirements.txt changed). The install is big (~1 GB); it is done once.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -x .venv/bin/az ] || ! cmp -s requirements.txt .venv/.installed-requirements; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/.installed-requirements
fi
