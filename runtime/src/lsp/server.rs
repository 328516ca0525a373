//! The transport: JSON-RPC over stdio (lsp-server), dispatching each request and
//! notification to the [`Backend`].
//!
//! Diagnostics are debounced: a `didChange` marks the document dirty and the server waits
//! [`debounce`] for more changes before it analyses and publishes (`didOpen` publishes at
//! once). A request on a dirty document analyses it first, so answers match the text the
//! client has. A handler that panicked (a bug) answers an internal error instead of taking
//! the server down.

use super::analysis::{Backend, TOKEN_MODIFIERS, TOKEN_TYPES};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Environment variable: milliseconds to wait after an edit before analysing (default 150).
pub const ENV_DEBOUNCE: &str = "CAPZ_LSP_DEBOUNCE_MS";

/// The debounce delay: [`ENV_DEBOUNCE`] or 150 ms (Bicep and terraform-ls also validate a
/// short while after the last keystroke rather than on each).
pub fn debounce() -> Duration {
    std::env::var(ENV_DEBOUNCE)
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_millis(150), Duration::from_millis)
}

/// What the server offers (sent in the `initialize` response).
pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(lsp::PositionEncodingKind::UTF16),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into(), "=".into()]),
            ..lsp::CompletionOptions::default()
        }),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
        folding_range_provider: Some(lsp::FoldingRangeProviderCapability::Simple(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        semantic_tokens_provider: Some(
            lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
                lsp::SemanticTokensOptions {
                    legend: lsp::SemanticTokensLegend {
                        token_types: TOKEN_TYPES
                            .iter()
                            .map(|t| lsp::SemanticTokenType::new(t))
                            .collect(),
                        token_modifiers: TOKEN_MODIFIERS
                            .iter()
                            .map(|t| lsp::SemanticTokenModifier::new(t))
                            .collect(),
                    },
                    full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
                },
            ),
        ),
        inlay_hint_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        code_lens_provider: Some(lsp::CodeLensOptions {
            resolve_provider: Some(false),
        }),
        ..lsp::ServerCapabilities::default()
    }
}

/// Serve one client on `conn` until `shutdown` + `exit` (or the client goes away).
/// `Err` only for protocol errors of the handshake or a closed channel while sending.
pub fn serve(conn: &Connection) -> Result<(), String> {
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    let init = serde_json::json!({
        "capabilities": caps,
        "serverInfo": { "name": "capz", "version": env!("CARGO_PKG_VERSION") },
    });
    let (id, _params) = conn.initialize_start().map_err(|e| e.to_string())?;
    conn.initialize_finish(id, init)
        .map_err(|e| e.to_string())?;
    let mut backend = Backend::new();
    let wait = debounce();
    let mut deadline: Option<Instant> = None;
    loop {
        let msg = match deadline {
            Some(d) => match conn
                .receiver
                .recv_timeout(d.saturating_duration_since(Instant::now()))
            {
                Ok(m) => m,
                Err(e) if e.is_timeout() => {
                    deadline = None;
                    publish_dirty(conn, &mut backend)?;
                    continue;
                }
                Err(_) => return Ok(()),
            },
            None => match conn.receiver.recv() {
                Ok(m) => m,
                Err(_) => return Ok(()),
            },
        };
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).map_err(|e| e.to_string())? {
                    return Ok(());
                }
                publish_dirty(conn, &mut backend)?;
                deadline = None;
                let resp = guarded(&req, |r| handle(&mut backend, r));
                conn.sender
                    .send(Message::Response(resp))
                    .map_err(|e| e.to_string())?;
            }
            Message::Notification(n) => match n.method.as_str() {
                "textDocument/didOpen" => {
                    if let Ok(p) =
                        serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params)
                    {
                        let d = p.text_document;
                        backend.open(d.uri, &d.text, d.version);
                        publish_dirty(conn, &mut backend)?;
                    }
                }
                "textDocument/didChange" => {
                    if let Ok(p) =
                        serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                        && let Some(c) = p.content_changes.into_iter().last()
                    {
                        backend.change(p.text_document.uri, &c.text, p.text_document.version);
                        deadline = Some(Instant::now() + wait);
                    }
                }
                "textDocument/didClose" => {
                    if let Ok(p) =
                        serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params)
                    {
                        for u in backend.close(&p.text_document.uri) {
                            publish(conn, u, Vec::new(), None)?;
                        }
                    }
                }
                "exit" => return Ok(()),
                _ => {}
            },
            Message::Response(_) => {}
        }
    }
}

/// Analyse every dirty document and publish its diagnostics (and its modules').
fn publish_dirty(conn: &Connection, backend: &mut Backend) -> Result<(), String> {
    for uri in backend.dirty() {
        let version = backend.document(&uri).map(|d| d.version);
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| backend.analyze(&uri)));
        let Ok(files) = result else { continue };
        for (u, diags) in files {
            let v = if u == uri { version } else { None };
            publish(conn, u, diags, v)?;
        }
    }
    Ok(())
}

fn publish(
    conn: &Connection,
    uri: lsp::Uri,
    diagnostics: Vec<lsp::Diagnostic>,
    version: Option<i32>,
) -> Result<(), String> {
    let params = lsp::PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    let n = Notification::new("textDocument/publishDiagnostics".to_string(), params);
    conn.sender
        .send(Message::Notification(n))
        .map_err(|e| e.to_string())
}

/// Run a handler; a panic (a bug) becomes an internal-error response.
fn guarded(req: &Request, f: impl FnOnce(&Request) -> Response) -> Response {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(req))) {
        Ok(r) => r,
        Err(_) => Response::new_err(
            req.id.clone(),
            ErrorCode::InternalError as i32,
            format!("capz lsp: internal error while answering {}", req.method),
        ),
    }
}

fn params<P: serde::de::DeserializeOwned>(req: &Request) -> Result<P, Box<Response>> {
    serde_json::from_value(req.params.clone()).map_err(|e| {
        Box::new(Response::new_err(
            req.id.clone(),
            ErrorCode::InvalidParams as i32,
            format!("invalid params for {}: {e}", req.method),
        ))
    })
}

fn ok<T: serde::Serialize>(req: &Request, v: T) -> Response {
    Response::new_ok(
        req.id.clone(),
        serde_json::to_value(v).unwrap_or(Value::Null),
    )
}

/// Answer one request.
pub fn handle(backend: &mut Backend, req: &Request) -> Response {
    match dispatch(backend, req) {
        Ok(r) => r,
        Err(r) => *r,
    }
}

fn dispatch(b: &mut Backend, req: &Request) -> Result<Response, Box<Response>> {
    Ok(match req.method.as_str() {
        "textDocument/hover" => {
            let p: lsp::HoverParams = params(req)?;
            let t = p.text_document_position_params;
            ok(req, b.hover(&t.text_document.uri, t.position))
        }
        "textDocument/completion" => {
            let p: lsp::CompletionParams = params(req)?;
            let t = p.text_document_position;
            ok(req, b.completion(&t.text_document.uri, t.position))
        }
        "textDocument/definition" => {
            let p: lsp::GotoDefinitionParams = params(req)?;
            let t = p.text_document_position_params;
            ok(req, b.definition(&t.text_document.uri, t.position))
        }
        "textDocument/references" => {
            let p: lsp::ReferenceParams = params(req)?;
            let t = p.text_document_position;
            ok(
                req,
                b.references(
                    &t.text_document.uri,
                    t.position,
                    p.context.include_declaration,
                ),
            )
        }
        "textDocument/prepareRename" => {
            let p: lsp::TextDocumentPositionParams = params(req)?;
            ok(req, b.prepare_rename(&p.text_document.uri, p.position))
        }
        "textDocument/rename" => {
            let p: lsp::RenameParams = params(req)?;
            let t = p.text_document_position;
            match b.rename(&t.text_document.uri, t.position, &p.new_name) {
                Ok(edit) => ok(req, edit),
                Err(m) => Response::new_err(req.id.clone(), ErrorCode::InvalidParams as i32, m),
            }
        }
        "textDocument/documentSymbol" => {
            let p: lsp::DocumentSymbolParams = params(req)?;
            ok(req, b.document_symbols(&p.text_document.uri))
        }
        "workspace/symbol" => {
            let p: lsp::WorkspaceSymbolParams = params(req)?;
            ok(req, b.workspace_symbols(&p.query))
        }
        "textDocument/foldingRange" => {
            let p: lsp::FoldingRangeParams = params(req)?;
            ok(req, b.folding_ranges(&p.text_document.uri))
        }
        "textDocument/formatting" => {
            let p: lsp::DocumentFormattingParams = params(req)?;
            match b.formatting(&p.text_document.uri) {
                Ok(edits) => ok(req, edits),
                Err(m) => Response::new_err(req.id.clone(), ErrorCode::RequestFailed as i32, m),
            }
        }
        "textDocument/semanticTokens/full" => {
            let p: lsp::SemanticTokensParams = params(req)?;
            ok(
                req,
                lsp::SemanticTokens {
                    result_id: None,
                    data: b.semantic_tokens(&p.text_document.uri),
                },
            )
        }
        "textDocument/inlayHint" => {
            let p: lsp::InlayHintParams = params(req)?;
            ok(req, b.inlay_hints(&p.text_document.uri))
        }
        "textDocument/codeAction" => {
            let p: lsp::CodeActionParams = params(req)?;
            ok(req, b.code_actions(&p.text_document.uri, p.range))
        }
        "textDocument/codeLens" => {
            let p: lsp::CodeLensParams = params(req)?;
            ok(req, b.code_lenses(&p.text_document.uri))
        }
        other => Response::new_err(
            req.id.clone(),
            ErrorCode::MethodNotFound as i32,
            format!("capz lsp does not implement {other}"),
        ),
    })
}
