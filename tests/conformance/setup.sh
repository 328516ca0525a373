#!/usr/bin/env bash
# Create tests/conformance/.venv with the pinned Azure SDK packages (idempotent).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import azure.mgmt.containerservice, azure.mgmt.network, azure.mgmt.resource, azure.mgmt.privatedns, azure.mgmt.msi, pytest, jsonschema' 2>/dev/null \
   || ! cmp -s requirements.txt .venv/.installed-requirements; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/.installed-requirements
fi
