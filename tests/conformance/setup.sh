#!/usr/bin/env bash
# Create the virtualenv of one Azure SDK set (idempotent):
#   setup.sh [pinned]   tests/conformance/.venv         from requirements.txt
#   setup.sh newest     tests/conformance/.venv-newest  from requirements-newest.txt
# Prints the venv's directory on stdout (last line).
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-pinned}" in
  pinned) venv=.venv; reqs=requirements.txt ;;
  newest) venv=.venv-newest; reqs=requirements-newest.txt ;;
  *) echo "setup.sh: unknown SDK set '$1' (use pinned or newest)" >&2; exit 2 ;;
esac
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c 'import azure.mgmt.containerservice, azure.mgmt.network, azure.mgmt.resource, azure.mgmt.privatedns, azure.mgmt.msi, pytest, jsonschema' 2>/dev/null \
   || ! cmp -s "$reqs" "$venv/.installed-requirements"; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs" >&2
  cp "$reqs" "$venv/.installed-requirements"
fi
echo "$PWD/$venv"
