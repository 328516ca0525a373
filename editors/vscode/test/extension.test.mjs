// Checks of the extension beyond the grammar unit tests (test/*.capz):
// snippets, language configuration, and that real capz programs tokenize cleanly.
// Run by `npm test` with node's test runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { extensionDir, tokenize } from '../scripts/grammar.mjs';

const readJson = (rel) => JSON.parse(fs.readFileSync(path.join(extensionDir, rel), 'utf8'));
const snippets = readJson('snippets/capz.json');
const config = readJson('language-configuration.json');

/** A snippet body with each placeholder replaced by its default (or first choice). */
function expand(body) {
  return body
    .join('\n')
    .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1')
    .replace(/\$\{\d+:([^}]*)\}/g, '$1')
    .replace(/\$0/g, '')
    .replace(/\$(\d+)/g, (_, n) => `ref${n}`);
}

/** Words of `tokens` (all lines) that carry a scope starting with `prefix`. */
function wordsWithScope(lines, prefix) {
  return lines.flat().filter((t) => t.scopes.some((s) => s.startsWith(prefix))).map((t) => t.text.trim());
}

// For each resource snippet: the kind it declares, the fields it must set and the nested
// resources/blocks it must contain.
const required = {
  group: { fields: ['name', 'location'] },
  vnet: { fields: ['address_space', 'address_prefix'], kinds: ['subnet'] },
  subnet: { fields: ['address_prefix'] },
  cluster: {
    fields: ['kubernetes_version', 'dns_prefix', 'plugin', 'service_cidr', 'dns_service_ip', 'mode', 'vm_size'],
    kinds: ['pool'],
    blocks: ['network'],
  },
  pool: { fields: ['mode', 'vm_size', 'count'] },
  nsg: { fields: ['priority', 'direction', 'access', 'protocol', 'destination_ports'], kinds: ['rule'] },
  rule: { fields: ['priority', 'direction', 'access', 'protocol', 'destination_ports'] },
  public_ip: { fields: ['sku', 'allocation'] },
  load_balancer: {
    fields: ['sku', 'frontend', 'backend_pool', 'probe', 'frontend_port', 'backend_port'],
    kinds: ['frontend', 'backend_pool', 'probe', 'rule'],
  },
  peering: { fields: [] },
  private_dns_zone: { fields: ['name', 'ttl', 'ipv4'], kinds: ['link', 'a_record'] },
  identity: { fields: ['issuer', 'subject'], kinds: ['federated_credential'] },
};

test('every resource kind has a snippet declaring it with its required fields', async () => {
  for (const [kind, want] of Object.entries(required)) {
    const snip = Object.values(snippets).find((s) => s.prefix === kind);
    assert.ok(snip, `no snippet with prefix ${kind}`);
    assert.ok(snip.description, `snippet ${kind} has no description`);
    const lines = await tokenize(expand(snip.body));
    const first = lines[0].find((t) => t.text.trim());
    assert.ok(first.scopes.includes('storage.type.resource.capz'), `snippet ${kind} does not start with a kind: ${JSON.stringify(first)}`);
    assert.equal(first.text.trim(), kind);
    const fields = wordsWithScope(lines, 'variable.other.property');
    for (const f of want.fields) assert.ok(fields.includes(f), `snippet ${kind} does not set ${f} (sets ${fields})`);
    const kinds = wordsWithScope(lines, 'storage.type.resource').slice(1);
    for (const k of want.kinds ?? []) assert.ok(kinds.includes(k), `snippet ${kind} has no nested ${k}`);
    const blocks = wordsWithScope(lines, 'entity.name.section.block');
    for (const b of want.blocks ?? []) assert.ok(blocks.includes(b), `snippet ${kind} has no ${b} block`);
  }
});

test('language snippets exist for stack, param, let, output, use and for', () => {
  const prefixes = new Set(Object.values(snippets).map((s) => s.prefix));
  for (const p of ['stack', 'param', 'let', 'output', 'use', 'for']) assert.ok(prefixes.has(p), `no ${p} snippet`);
});

test('no snippet expands to text the grammar marks invalid, and braces balance', async () => {
  for (const [name, snip] of Object.entries(snippets)) {
    const text = expand(snip.body);
    const invalid = (await tokenize(text)).flat().filter((t) => t.scopes.some((s) => s.startsWith('invalid')));
    assert.deepEqual(invalid, [], `snippet ${name}`);
    const opens = (text.match(/\{/g) ?? []).length;
    const closes = (text.match(/\}/g) ?? []).length;
    assert.equal(opens, closes, `snippet ${name}: unbalanced braces`);
  }
});

test('language configuration: comments, pairs, indentation and words', () => {
  assert.equal(config.comments.lineComment, '#');
  for (const pair of ['{}', '[]', '()']) {
    assert.ok(config.brackets.some(([o, c]) => o + c === pair), `bracket ${pair}`);
    assert.ok(config.autoClosingPairs.some((p) => p.open + p.close === pair), `auto-close ${pair}`);
    assert.ok(config.surroundingPairs.some(([o, c]) => o + c === pair), `surround ${pair}`);
  }
  assert.ok(config.autoClosingPairs.some((p) => p.open === '"' && p.close === '"'), 'auto-close quotes');
  const inc = new RegExp(config.indentationRules.increaseIndentPattern);
  const dec = new RegExp(config.indentationRules.decreaseIndentPattern);
  for (const line of ['vnet mgmt_net in mgmt {', '  network {', 'address_space = [', 'for i in 0..n {  # loop']) {
    assert.ok(inc.test(line), `should indent after ${JSON.stringify(line)}`);
  }
  for (const line of ['subnet nodes { address_prefix = "10.0.0.0/22" }', 'ipv4 = ["10.0.0.1"]', 'name = "a{b"', '}']) {
    assert.ok(!inc.test(line), `should not indent after ${JSON.stringify(line)}`);
  }
  for (const line of ['}', '  ]', '  } else {']) assert.ok(dec.test(line), `should dedent ${JSON.stringify(line)}`);
  assert.ok(!dec.test('  name = "x"'));
  const word = new RegExp(config.wordPattern, 'g');
  assert.deepEqual('mgmt_net.nodes[2]'.match(word), ['mgmt_net', 'nodes', '2']);
});

/** Every .capz file under `dir`, recursively. */
function capzFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return capzFiles(p);
    return e.name.endsWith('.capz') ? [p] : [];
  });
}

test('the repository examples tokenize without invalid scopes', async () => {
  const files = capzFiles(path.join(extensionDir, '..', '..', 'examples'));
  for (const file of files) {
    const lines = await tokenize(fs.readFileSync(file, 'utf8'));
    lines.forEach((tokens, i) => {
      const bad = tokens.filter((t) => t.scopes.some((s) => s.startsWith('invalid')));
      assert.deepEqual(bad, [], `${file}:${i + 1}`);
    });
  }
});
