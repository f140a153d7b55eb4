//! Connections: accepted within a limit, served over HTTP/1.1 (plain or
//! TLS) with a header-read timeout that also closes idle keep-alive
//! connections, and stopped gracefully with a deadline.
//!
//! - **Slow or idle clients.** A client must send a request's whole header
//!   within `header_timeout`, from when the connection opens or its last
//!   answer was sent; otherwise the connection is closed. Slowloris
//!   connections and idle keep-alive ones are gone after that time.
//! - **Too many connections.** Past `max_connections` a new connection is
//!   closed at once (and counted) rather than left to exhaust descriptors.
//! - **Stopping.** On SIGTERM or SIGINT no new connection is accepted;
//!   requests in flight are answered; connections still open after
//!   `shutdown_grace` are dropped and the process exits.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use crate::Shared;

/// The limits on connections.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionLimits {
    pub(crate) header_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) shutdown_grace: Duration,
}

/// Accepts and serves connections until `stop` resolves, then stops gracefully.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    shared: Arc<Shared>,
    limits: ConnectionLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stop: impl Future<Output = ()>,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors or memory: wait a moment rather than spin.
                crate::note(&format!("cannot accept a connection: {e}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            shared.metrics.connections_refused.inc();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let shared = shared.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            shared.metrics.connections.inc();
            match tls {
                None => serve_connection(stream, app, limits, watcher).await,
                Some(acceptor) => {
                    // The handshake is bounded like a request header.
                    let handshake =
                        tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await;
                    if let Ok(Ok(stream)) = handshake {
                        serve_connection(stream, app, limits, watcher).await;
                    }
                }
            }
            shared.metrics.connections.dec();
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            crate::note(&format!(
                "connections still open after {} ms were closed",
                limits.shutdown_grace.as_millis()
            ));
        }
    }
}

/// Serves one connection's requests until it closes, times out or the server stops.
async fn serve_connection<IO>(
    io: IO,
    app: Router,
    limits: ConnectionLimits,
    watcher: hyper_util::server::graceful::Watcher,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(app);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    let _ = watcher.watch(connection).await;
}
