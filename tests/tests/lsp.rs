//! `capz lsp` end to end: the real binary over stdio, driven with LSP's JSON-RPC framing
//! (`Content-Length` headers) as any client does: the handshake, diagnostics published for
//! an example and for a broken copy of it, hover, completion, definition, references,
//! rename, formatting, symbols, semantic tokens, and a clean shutdown (exit code 0).
//! editors/vscode's tests drive the same binary through vscode-languageclient's protocol
//! library.

use capz_tests::{capz_bin, repo_root};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long to wait for one message before the test fails (a hang guard, not a timing check).
const PATIENCE: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications seen while waiting for responses.
    notes: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(capz_bin())
            .args(["lsp", "--stdio"])
            .env("CAPZ_LSP_DEBOUNCE_MS", "20")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start capz lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length header")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("JSON body");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            next_id: 0,
            notes: Vec::new(),
        }
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn recv(&mut self) -> Value {
        match self.rx.recv_timeout(PATIENCE) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("capz lsp sent nothing for {PATIENCE:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("capz lsp closed stdout"),
        }
    }

    /// Send a request and return its `result` (panics on an error response).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let v = self.recv();
            if v.get("id") == Some(&json!(id)) {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
            self.notes.push(v);
        }
    }

    /// The next diagnostics published for `uri` (from the ones already seen, or waiting).
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(i) = self.notes.iter().position(|n| {
                n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
            }) {
                let n = self.notes.remove(i);
                return n["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
            assert!(Instant::now() < deadline, "no diagnostics for {uri}");
            let v = self.recv();
            self.notes.push(v);
        }
    }
}

fn at(text: &str, needle: &str, into: usize) -> Value {
    let off = text.find(needle).unwrap_or_else(|| panic!("{needle:?}")) + into;
    let before = &text[..off];
    let line = before.matches('\n').count();
    let col = before
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.encode_utf16().count());
    json!({"line": line, "character": col})
}

#[test]
fn capz_lsp_over_stdio() {
    let path = repo_root()
        .join("examples/managed-cluster.capz")
        .canonicalize()
        .unwrap();
    let uri = format!("file://{}", path.display());
    let text = std::fs::read_to_string(&path).unwrap();
    let mut c = Client::start();
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let caps = &init["capabilities"];
    for cap in [
        "hoverProvider",
        "completionProvider",
        "definitionProvider",
        "referencesProvider",
        "renameProvider",
        "documentSymbolProvider",
        "workspaceSymbolProvider",
        "foldingRangeProvider",
        "documentFormattingProvider",
        "semanticTokensProvider",
        "inlayHintProvider",
        "codeActionProvider",
        "codeLensProvider",
    ] {
        assert!(!caps[cap].is_null(), "{cap} missing in {caps}");
    }
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "capz", "version": 1, "text": text}}),
    );
    assert_eq!(c.diagnostics(&uri), Vec::<Value>::new());
    let doc = json!({"uri": uri});

    // Hover on a field: the catalog's doc, type and ARM path.
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": doc, "position": at(&text, "service_cidr", 2)}),
    );
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("properties.networkProfile.serviceCidr"), "{md}");

    // Completion of enum words after `policy =`.
    let items = c.request(
        "textDocument/completion",
        json!({"textDocument": doc, "position": at(&text, "= calico", 2)}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"calico") && labels.contains(&"cilium"),
        "{labels:?}"
    );

    // Definition of `cluster_net.nodes` and its references.
    let d = c.request(
        "textDocument/definition",
        json!({"textDocument": doc, "position": at(&text, "cluster_net.nodes", 13)}),
    );
    assert_eq!(d["range"]["start"], at(&text, "nodes {", 0));
    let refs = c.request(
        "textDocument/references",
        json!({"textDocument": doc, "position": at(&text, "nodes {", 1),
               "context": {"includeDeclaration": true}}),
    );
    assert_eq!(refs.as_array().unwrap().len(), 3);

    // Rename a param: the declaration and both uses.
    let e = c.request(
        "textDocument/rename",
        json!({"textDocument": doc, "position": at(&text, "system_nodes", 1), "newName": "sys"}),
    );
    assert_eq!(
        e["documentChanges"][0]["edits"].as_array().unwrap().len(),
        2
    );

    // Formatting (examples are formatted: no edits), symbols, semantic tokens.
    let f = c.request(
        "textDocument/formatting",
        json!({"textDocument": doc, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(f, json!([]));
    let s = c.request("textDocument/documentSymbol", json!({"textDocument": doc}));
    assert!(s.as_array().unwrap().iter().any(|s| s["name"] == "aks"));
    let t = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": doc}),
    );
    assert!(t["data"].as_array().unwrap().len() > 50);

    // A broken copy: the checker's diagnostic with its code, after the debounce.
    let broken = text.replace("plugin         = azure", "plugin         = azur");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": broken}]}),
    );
    let diags = c.diagnostics(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0]["code"].as_str().unwrap().starts_with("capz::"));
    assert_eq!(diags[0]["range"]["start"], at(&broken, "azur\n", 0));

    // A syntax error: reported, and hover still answers from the last good text.
    let cut = broken.replace("subnet nodes {", "subnet nodes { (");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": cut}]}),
    );
    let diags = c.diagnostics(&uri);
    assert!(
        diags[0]["code"]
            .as_str()
            .unwrap()
            .starts_with("capz::syntax::"),
        "{diags:?}"
    );
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": doc, "position": at(&text, "service_cidr", 2)}),
    );
    assert!(!h.is_null());

    // An unknown method is an error response, not a crash.
    c.next_id += 1;
    let id = c.next_id;
    c.send(json!({"jsonrpc": "2.0", "id": id, "method": "capz/nope", "params": {}}));
    loop {
        let v = c.recv();
        if v.get("id") == Some(&json!(id)) {
            assert_eq!(v["error"]["code"], json!(-32601));
            break;
        }
    }

    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
