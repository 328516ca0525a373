#!/usr/bin/env bash
# Tests and packages the VS Code extension from a clean checkout: needs only node and npm
# (and the npm registry). Called by tests/run-all.sh (and so by .ci/run).
#   1. npm ci            installs the exact devDependencies of package-lock.json
#   2. npm test          grammar tests (test/*.capz) and snippet/example checks
#   3. npm run package   builds capz.vsix with vsce (git-ignored)
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund --loglevel=error
npm test
npm run package
echo "editors/vscode: built $(pwd)/capz.vsix"
