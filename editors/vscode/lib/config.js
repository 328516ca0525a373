// The parts of the extension that do not need VS Code (tested headless by test/lsp.test.mjs).
'use strict';

/**
 * How vscode-languageclient starts the server: `capz lsp`, stdio. With TransportKind.stdio
 * the client adds `--stdio`, which `capz lsp` accepts.
 * @param {string} capzPath the `capz.path` setting (default `capz`, found on PATH)
 * @param {number} stdio TransportKind.stdio
 */
function serverOptions(capzPath, stdio) {
  const run = { command: capzPath, args: ['lsp'], transport: stdio };
  return { run, debug: run };
}

/**
 * Arguments of `capz plan` for a file: `--target` when the setting names one, then the
 * extra arguments of `capz.planArgs` (e.g. `--param`, `--arm-endpoint`).
 * @param {string} file
 * @param {string} target `local`, `azure` or '' (capz's default, or CAPZ_TARGET)
 * @param {string[]} extra
 */
function planArgs(file, target, extra) {
  return [...(target ? ['--target', target] : []), 'plan', file, ...extra];
}

module.exports = { planArgs, serverOptions };
