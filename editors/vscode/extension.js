// The capz extension: starts `capz lsp` as the language server of .capz files (diagnostics,
// hover, completion, definition, references, rename, outline, folding, formatting, semantic
// tokens, inlay hints, quick fixes) and implements the command behind the `stack` code lens,
// `capz.plan`: it runs `capz plan FILE` against the configured target and shows the plan
// beside the program, like Bicep's what-if.
'use strict';

const vscode = require('vscode');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');
const { planArgs, serverOptions } = require('./lib/config');

/** @type {LanguageClient | undefined} */
let client;

/** The read-only documents that show plans: capz-plan:/<file>.plan -> text. */
const plans = new Map();
const planEvents = new vscode.EventEmitter();

function settings() {
  const c = vscode.workspace.getConfiguration('capz');
  return {
    path: c.get('path') || 'capz',
    target: c.get('target') || '',
    planArgs: c.get('planArgs') || [],
  };
}

async function startClient(context) {
  const s = settings();
  client = new LanguageClient(
    'capz',
    'capz language server',
    serverOptions(s.path, TransportKind.stdio),
    {
      documentSelector: [{ scheme: 'file', language: 'capz' }, { scheme: 'untitled', language: 'capz' }],
      outputChannelName: 'capz language server',
    },
  );
  await client.start();
  context.subscriptions.push(client);
}

/** `capz.plan [uri]`: plan the file and show the result in a read-only editor. */
async function plan(uriArg) {
  const uri = uriArg ? vscode.Uri.parse(String(uriArg)) : vscode.window.activeTextEditor?.document.uri;
  if (!uri || uri.scheme !== 'file') {
    vscode.window.showErrorMessage('capz: open a saved .capz file to plan it.');
    return;
  }
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc?.isDirty) await doc.save();
  const s = settings();
  const file = uri.fsPath;
  const cwd = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(file);
  const planUri = vscode.Uri.from({ scheme: 'capz-plan', path: `${file}.plan` });
  const text = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `capz plan ${path.basename(file)}` },
    () =>
      new Promise((resolve) => {
        execFile(
          s.path,
          planArgs(file, s.target, s.planArgs),
          { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const code = err && typeof err.code === 'number' ? err.code : err ? 1 : 0;
            const head = `# capz plan ${file}  (exit ${code}${code === 2 ? ': changes' : ''})\n\n`;
            resolve(head + stdout + (stderr ? `\n${stderr}` : ''));
          },
        );
      }),
  );
  plans.set(planUri.toString(), text);
  planEvents.fire(planUri);
  const shown = await vscode.workspace.openTextDocument(planUri);
  await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

async function activate(context) {
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider('capz-plan', {
      onDidChange: planEvents.event,
      provideTextDocumentContent: (uri) => plans.get(uri.toString()) ?? '',
    }),
    vscode.commands.registerCommand('capz.plan', plan),
    vscode.commands.registerCommand('capz.restartServer', async () => {
      if (client) await client.stop();
      await startClient(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('capz.path') && client) {
        await client.stop();
        await startClient(context);
      }
    }),
  );
  try {
    await startClient(context);
  } catch (e) {
    vscode.window.showErrorMessage(
      `capz: cannot start \`${settings().path} lsp\` (${e}). Install capz or set "capz.path".`,
    );
  }
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
