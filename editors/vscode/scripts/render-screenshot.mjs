// Renders scripts/screenshot-example.capz with the capz grammar and VS Code's Dark+ theme
// to HTML (vscode-textmate, the engine VS Code uses), then to images/screenshot.png with
// headless Chromium (Debian package `chromium`).
//
//   node scripts/render-screenshot.mjs             # writes the HTML and the PNG
//   node scripts/render-screenshot.mjs --html-only # writes only the HTML (prints its path)
//   CHROMIUM=/path/to/chrome node scripts/render-screenshot.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { extensionDir, registry, vsctm } from './grammar.mjs';

const require = createRequire(import.meta.url);
const theme = require('tm-themes/themes/dark-plus.json');
const background = theme.colors['editor.background'];
const foreground = theme.colors['editor.foreground'];

// vscode-textmate's encoded token metadata (src/encodedTokenAttributes.ts).
const FONT_STYLE_MASK = 0b00000000000000000111100000000000;
const FONT_STYLE_OFFSET = 11;
const FOREGROUND_MASK = 0b00000000111111111000000000000000;
const FOREGROUND_OFFSET = 15;

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function renderHtml(source) {
  const reg = registry({
    name: theme.name,
    tokenColors: [{ settings: { foreground, background } }, ...theme.tokenColors],
  });
  const grammar = await reg.loadGrammar('source.capz');
  const colors = reg.getColorMap();
  let state = vsctm.INITIAL;
  const lines = source.replace(/\n$/, '').split('\n').map((line, i) => {
    const r = grammar.tokenizeLine2(line, state);
    state = r.ruleStack;
    let html = '';
    for (let t = 0; t < r.tokens.length; t += 2) {
      const start = r.tokens[t];
      const end = t + 2 < r.tokens.length ? r.tokens[t + 2] : line.length;
      const meta = r.tokens[t + 1];
      const color = colors[(meta & FOREGROUND_MASK) >>> FOREGROUND_OFFSET];
      const style = (meta & FONT_STYLE_MASK) >>> FONT_STYLE_OFFSET;
      const css = [`color:${color}`];
      if (style & 1) css.push('font-style:italic');
      if (style & 2) css.push('font-weight:bold');
      if (style & 4) css.push('text-decoration:underline');
      html += `<span style="${css.join(';')}">${escape(line.slice(start, end))}</span>`;
    }
    return `<div class="line"><span class="ln">${i + 1}</span>${html}</div>`;
  });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>capz</title><style>
  html, body { margin: 0; background: ${background}; }
  .tab { font: 13px sans-serif; color: #ffffff; background: ${background}; padding: 8px 16px;
         border-bottom: 1px solid #333; display: inline-block; border-top: 1px solid #3794ff; }
  .bar { background: #252526; }
  pre { margin: 0; padding: 10px 0; font: 13px/17px "DejaVu Sans Mono", "Liberation Mono", monospace;
        color: ${foreground}; white-space: pre; }
  .ln { display: inline-block; width: 36px; margin-right: 18px; text-align: right; color: #858585; }
</style></head><body>
<div class="bar"><span class="tab">mgmt.capz</span></div>
<pre>${lines.join('')}</pre>
</body></html>
`;
}

const source = fs.readFileSync(path.join(extensionDir, 'scripts', 'screenshot-example.capz'), 'utf8');
const html = await renderHtml(source);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'capz-screenshot-'));
const htmlFile = path.join(work, 'screenshot.html');
fs.writeFileSync(htmlFile, html);
if (process.argv.includes('--html-only')) {
  console.log(htmlFile);
} else {
  const out = path.join(extensionDir, 'images', 'screenshot.png');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const lineCount = source.replace(/\n$/, '').split('\n').length;
  const height = 36 + 20 + lineCount * 17 + 4;
  execFileSync(process.env.CHROMIUM ?? 'chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--hide-scrollbars', `--user-data-dir=${path.join(work, 'profile')}`,
    `--screenshot=${out}`, `--window-size=820,${height}`, `file://${htmlFile}`,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`wrote ${out}`);
}
