//! The emulator's accept loop (plain TCP or TLS) over hyper's HTTP/1 connections.
//!
//! Why not `axum::serve`: a handler there always produces a response, so a fault cannot
//! close the TCP connection without answering ([`crate::Fault::DropConnection`]). Here each
//! request runs through the axum router, and a response marked with [`DropMarker`] becomes
//! an error of the per-request service, on which hyper closes the connection without
//! writing a byte of the response (hyper 1.x, `proto/h1/dispatch.rs`: a service error ends
//! the dispatcher).
//!
//! Graceful shutdown as `axum::serve(..).with_graceful_shutdown(..)` does it: once `stop`
//! resolves, the listener is closed, idle keep-alive connections are closed, in-flight
//! requests finish and are answered, and [`run`] returns when every connection is gone.
//! TLS handshakes still in progress at that moment are abandoned.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Response extension telling the accept loop to close the connection instead of sending
/// this response (set by the request handler for a drop fault).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropMarker;

/// The per-request service error that makes hyper close the connection unanswered.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// Serves `router` on `listener` (TLS when `tls` is set) until `stop` resolves, then shuts
/// down gracefully (see the module docs). Accept errors (e.g. too many open files) are
/// logged and retried after 10 ms; connection errors are logged at debug level.
pub(crate) async fn run(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    stop: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    // Tells TLS handshakes still running to give up.
    let (stop_tx, stop_rx) = watch::channel(false);
    let service = Arc::new(TowerToHyperService::new(router));
    tokio::pin!(stop);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    tracing::debug!("emulator accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let watcher = graceful.watcher();
        let service = service.clone();
        match &tls {
            None => {
                tokio::spawn(serve_connection(tcp, service, watcher));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let mut stop_rx = stop_rx.clone();
                tokio::spawn(async move {
                    let hs = tokio::select! {
                        hs = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)) => hs,
                        _ = stop_rx.wait_for(|s| *s) => return,
                    };
                    match hs {
                        Ok(Ok(stream)) => serve_connection(stream, service, watcher).await,
                        Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                        Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
                    }
                });
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    graceful.shutdown().await;
}

/// Serves one connection with HTTP/1.1 keep-alive; a request whose response carries
/// [`DropMarker`] closes it unanswered.
async fn serve_connection<IO>(io: IO, service: Arc<TowerToHyperService<Router>>, watcher: Watcher)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let per_request = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let service = service.clone();
        async move {
            let mut req = req.map(Body::new);
            collapse_slashes(&mut req);
            let resp: Result<Response, Infallible> =
                hyper::service::Service::call(&*service, req).await;
            match resp {
                Ok(r) if r.extensions().get::<DropMarker>().is_some() => Err(Dropped),
                Ok(r) => Ok(r),
                Err(never) => match never {},
            }
        }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), per_request);
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!("emulator connection ended: {e}");
    }
}

/// Rewrites `//a///b` to `/a/b` in the request path before routing (see
/// [`crate::metadata::collapse_slashes`]); a path that would not parse back is left alone.
fn collapse_slashes(req: &mut hyper::Request<Body>) {
    let Some(pq) = req.uri().path_and_query().map(|p| p.as_str().to_string()) else {
        return;
    };
    if let Some(fixed) = crate::metadata::collapse_slashes(&pq)
        && let Ok(uri) = fixed.parse::<hyper::Uri>()
    {
        *req.uri_mut() = uri;
    }
}
