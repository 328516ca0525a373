// The extension's language client, headless: `capz lsp` driven through
// vscode-languageclient's own protocol library (vscode-languageserver-protocol, which the
// client uses under VS Code) over stdio, on the examples and on broken copies of them;
// the server command the extension builds; and the `capz` problem matcher against the
// real output of `capz check`.
//
// The binary is $CAPZ_BIN, else ../../target/debug/capz (tests/run-all.sh builds it first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const rpc = require('vscode-languageserver-protocol/node');
const { serverOptions, planArgs } = require('../lib/config.js');

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const capz = process.env.CAPZ_BIN || path.join(repo, 'target/debug/capz');
const pkg = JSON.parse(fs.readFileSync(path.join(here, '../package.json'), 'utf8'));

assert.ok(
  fs.existsSync(capz),
  `no capz binary at ${capz}: build it (cargo build -p runtime --bin capz) or set CAPZ_BIN`,
);

const examplePath = path.join(repo, 'examples/managed-cluster.capz');
const exampleText = fs.readFileSync(examplePath, 'utf8');
const uri = pathToFileURL(examplePath).href;

/** LSP position of the first `needle` in `text`, `into` characters in. */
function at(text, needle, into = 0) {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${needle} not found`);
  const before = text.slice(0, i + into);
  const lines = before.split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1].length };
}

let proc;
let conn;
/** uri -> list of resolvers waiting for the next publishDiagnostics */
const waiting = new Map();
const published = new Map();

function nextDiagnostics(forUri) {
  if (published.has(forUri)) {
    const d = published.get(forUri);
    published.delete(forUri);
    return Promise.resolve(d);
  }
  return new Promise((resolve) => waiting.set(forUri, resolve));
}

before(async () => {
  // The command line the extension hands to vscode-languageclient, with stdio transport
  // (the client adds --stdio).
  const opts = serverOptions(capz, rpc.TransportKind?.stdio ?? 0);
  proc = spawn(opts.run.command, [...opts.run.args, '--stdio'], {
    env: { ...process.env, CAPZ_LSP_DEBOUNCE_MS: '20' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  conn = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(proc.stdout),
    new rpc.StreamMessageWriter(proc.stdin),
  );
  conn.onNotification(rpc.PublishDiagnosticsNotification.type, (p) => {
    const w = waiting.get(p.uri);
    if (w) {
      waiting.delete(p.uri);
      w(p.diagnostics);
    } else {
      published.set(p.uri, p.diagnostics);
    }
  });
  conn.listen();
  const init = await conn.sendRequest(rpc.InitializeRequest.type, {
    processId: process.pid,
    rootUri: pathToFileURL(repo).href,
    capabilities: {},
  });
  assert.ok(init.capabilities.hoverProvider);
  assert.ok(init.capabilities.semanticTokensProvider.legend.tokenTypes.includes('enumMember'));
  await conn.sendNotification(rpc.InitializedNotification.type, {});
  const diags = nextDiagnostics(uri);
  await conn.sendNotification(rpc.DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'capz', version: 1, text: exampleText },
  });
  assert.deepEqual(await diags, []);
});

after(async () => {
  await conn.sendRequest(rpc.ShutdownRequest.type);
  await conn.sendNotification(rpc.ExitNotification.type);
  const code = await new Promise((resolve) => proc.on('exit', resolve));
  assert.equal(code, 0);
  conn.dispose();
});

const doc = { uri };

test('hover: a field from the catalog, a value known before apply', async () => {
  const h = await conn.sendRequest(rpc.HoverRequest.type, {
    textDocument: doc,
    position: at(exampleText, 'dns_service_ip', 2),
  });
  assert.match(h.contents.value, /dns_service_ip: ip/);
  assert.match(h.contents.value, /properties\.networkProfile\.dnsServiceIP/);
  const h2 = await conn.sendRequest(rpc.HoverRequest.type, {
    textDocument: doc,
    position: at(exampleText, 'cluster_net.nodes', 14),
  });
  assert.match(h2.contents.value, /subnet nodes/);
});

test('completion: enum words, members, kinds', async () => {
  const items = await conn.sendRequest(rpc.CompletionRequest.type, {
    textDocument: doc,
    position: at(exampleText, '= calico', 2),
  });
  const labels = items.map((i) => i.label);
  assert.ok(labels.includes('cilium'), labels.join(' '));
});

test('definition and references', async () => {
  const d = await conn.sendRequest(rpc.DefinitionRequest.type, {
    textDocument: doc,
    position: at(exampleText, 'count           = system_nodes', 20),
  });
  assert.deepEqual(d.range.start, at(exampleText, 'system_nodes: int'));
  const refs = await conn.sendRequest(rpc.ReferencesRequest.type, {
    textDocument: doc,
    position: at(exampleText, 'group rg', 6),
    context: { includeDeclaration: false },
  });
  assert.equal(refs.length, 2);
});

test('rename a resource whose ARM name is its identifier: pin offered, needs confirmation', async () => {
  const e = await conn.sendRequest(rpc.RenameRequest.type, {
    textDocument: doc,
    position: at(exampleText, 'pool agentpool1', 6),
    newName: 'users',
  });
  const edits = e.documentChanges[0].edits;
  const pin = edits.find((x) => x.annotationId);
  assert.equal(pin.newText, '\n    name = "agentpool1"');
  assert.equal(e.changeAnnotations[pin.annotationId].needsConfirmation, true);
});

test('formatting, symbols, folding, semantic tokens, inlay hints, code lens', async () => {
  assert.deepEqual(
    await conn.sendRequest(rpc.DocumentFormattingRequest.type, {
      textDocument: doc,
      options: { tabSize: 2, insertSpaces: true },
    }),
    [],
  );
  const syms = await conn.sendRequest(rpc.DocumentSymbolRequest.type, { textDocument: doc });
  assert.deepEqual(
    syms.find((s) => s.name === 'aks').children.map((c) => c.name),
    ['agentpool0', 'agentpool1'],
  );
  const folds = await conn.sendRequest(rpc.FoldingRangeRequest.type, { textDocument: doc });
  assert.ok(folds.length > 5);
  const toks = await conn.sendRequest(rpc.SemanticTokensRequest.type, { textDocument: doc });
  assert.equal(toks.data.length % 5, 0);
  assert.ok(toks.data.length > 100);
  const hints = await conn.sendRequest(rpc.InlayHintRequest.type, {
    textDocument: doc,
    range: { start: { line: 0, character: 0 }, end: { line: 999, character: 0 } },
  });
  assert.ok(hints.some((h) => h.label === 'name: "agentpool0"'));
  const lenses = await conn.sendRequest(rpc.CodeLensRequest.type, { textDocument: doc });
  assert.equal(lenses[0].command.command, 'capz.plan');
  assert.ok(pkg.contributes.commands.some((c) => c.command === 'capz.plan'));
});

test('a broken copy: the checker diagnostic, then a syntax error; a quick fix', async () => {
  const broken = exampleText.replace('policy         = calico', 'policy         = calic');
  let diags = nextDiagnostics(uri);
  await conn.sendNotification(rpc.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 2 },
    contentChanges: [{ text: broken }],
  });
  const d = await diags;
  assert.equal(d.length, 1);
  assert.equal(d[0].code, 'capz::type::unknown-enum-word');
  const actions = await conn.sendRequest(rpc.CodeActionRequest.type, {
    textDocument: doc,
    range: d[0].range,
    context: { diagnostics: d },
  });
  assert.ok(actions.some((a) => a.title === 'Change to `calico`'), JSON.stringify(actions));
  diags = nextDiagnostics(uri);
  await conn.sendNotification(rpc.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 3 },
    contentChanges: [{ text: broken.replace('network {', 'network { ((') }],
  });
  const s = await diags;
  assert.match(s[0].code, /^capz::syntax::/);
  // Features keep working from the last good analysis.
  const syms = await conn.sendRequest(rpc.DocumentSymbolRequest.type, { textDocument: doc });
  assert.ok(syms.length > 3);
});

test('the problem matcher reads `capz check` output', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capz-pm-'));
  const file = path.join(dir, 'broken.capz');
  fs.writeFileSync(file, exampleText.replace('plugin         = azure', 'plugin         = azur'));
  const r = spawnSync(capz, ['check', file], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' });
  assert.equal(r.status, 1);
  const matcher = pkg.contributes.problemMatchers.find((m) => m.name === 'capz');
  const lines = r.stderr.split('\n');
  const pats = matcher.pattern.map((p) => ({ ...p, re: new RegExp(p.regexp) }));
  let found;
  for (let i = 0; i + pats.length <= lines.length && !found; i++) {
    const ms = pats.map((p, k) => p.re.exec(lines[i + k]));
    if (ms.every(Boolean)) {
      const get = (key) => {
        const k = pats.findIndex((p) => p[key]);
        return ms[k][pats[k][key]];
      };
      found = { code: get('code'), message: get('message'), file: get('file'), line: get('line'), column: get('column') };
    }
  }
  assert.deepEqual(found, {
    code: 'capz::type::unknown-enum-word',
    message: '`azur` is not one of `azure`, `kubenet`, `none`',
    file,
    line: '40',
    column: '22',
  });
  fs.rmSync(dir, { recursive: true });
});

test('plan arguments', () => {
  assert.deepEqual(planArgs('/a.capz', 'azure', ['--param', 'n=1']), ['--target', 'azure', 'plan', '/a.capz', '--param', 'n=1']);
  assert.deepEqual(planArgs('/a.capz', '', []), ['plan', '/a.capz']);
});
