// Loads syntaxes/capz.tmLanguage.json with vscode-textmate + vscode-oniguruma, the same
// engine VS Code uses. Shared by test/extension.test.mjs and scripts/render-screenshot.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

/** The extension folder (editors/vscode). */
export const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let onigReady;
function onigLib() {
  onigReady ??= oniguruma
    .loadWASM(fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer)
    .then(() => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
  return onigReady;
}

/**
 * A vscode-textmate Registry holding the capz grammar, optionally with a theme
 * (a VS Code theme JSON object with `tokenColors` or `settings`).
 */
export function registry(theme) {
  const reg = new vsctm.Registry({
    onigLib: onigLib(),
    loadGrammar: async (scopeName) => {
      if (scopeName !== 'source.capz') return null;
      const file = path.join(extensionDir, 'syntaxes', 'capz.tmLanguage.json');
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  if (theme) {
    reg.setTheme({ name: theme.name, settings: theme.tokenColors ?? theme.settings });
  }
  return reg;
}

/** Tokenizes `text` into lines of `{ text, scopes }`. */
export async function tokenize(text) {
  const grammar = await registry().loadGrammar('source.capz');
  let state = vsctm.INITIAL;
  return text.split('\n').map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
}

export { vsctm };
