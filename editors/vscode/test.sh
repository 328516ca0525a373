#!/usr/bin/env bash
# Tests and packages the VS Code extension from a clean checkout: needs node and npm (and
# the npm registry) and a capz binary for the language-client tests: $CAPZ_BIN, else
# ../../target/debug/capz (tests/run-all.sh builds it first; without it the tests fail
# saying so). Called by tests/run-all.sh (and so by .ci/run).
#   1. npm ci            installs the exact dependencies of package-lock.json
#   2. npm test          grammar tests (test/*.capz), snippet/example checks, and
#                        test/lsp.test.mjs: `capz lsp` through vscode-languageclient's
#                        protocol library, and the problem matcher on `capz check` output
#   3. npm run package   builds capz.vsix with vsce, vscode-languageclient inside (git-ignored)
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund --loglevel=error
npm test
# The language client must ship inside the package (vsce includes production dependencies).
for f in extension.js lib/config.js node_modules/vscode-languageclient/node.js; do
  npx vsce ls | grep -qx "$f" || { echo "editors/vscode: $f is not packaged" >&2; exit 1; }
done
npm run package
echo "editors/vscode: built $(pwd)/capz.vsix"
