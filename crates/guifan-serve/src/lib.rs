//! `guifan serve`: decide records over HTTP, with the rules reloaded as their
//! files change.
//!
//! - `POST /v1/decide[?at=RFC3339]`: one JSON record (on one line or
//!   pretty-printed), answered with its decision record, or JSON Lines,
//!   answered with one line per record (a decision record, or
//!   `{"line": N, "error": {...}}`). The revision of the rules that decided
//!   is in the `guifan-revision` header. Bad input is a 400 with a JSON body
//!   carrying the diagnostic's code; a body over the limit a 413 (at once,
//!   from its `Content-Length`), a request over the time limit or past the
//!   bytes in flight a 503 — never a 500.
//! - `GET /healthz`: `{"status": "ok", "revision": ...}`.
//! - `GET /metrics`: Prometheus text, every name prefixed `guifan_`.
//!
//! With a token, `/v1/*` (and `/metrics` when asked) require
//! `Authorization: Bearer <token>`; with a certificate and key, every
//! connection is TLS. Connections are bounded in number and in how long a
//! client may take to send a request's header (`server.rs`); the decision
//! log is written by a thread of its own through a bounded queue
//! (`decision_log.rs`); the rule directory is reloaded once a change has
//! settled (`watch.rs`). `docs/serve.md` says how to deploy it.

mod decide;
mod decision_log;
mod metrics;
mod routes;
mod server;
mod tls;
mod watch;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use guifan::Engine;

use crate::metrics::Metrics;

/// How the server runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The rule directory, watched for changes
    pub rules: PathBuf,
    /// The address to listen on (port 0: any free port)
    pub listen: SocketAddr,
    /// A JSON Lines file each decided record is appended to (time, subject, decisions, revision)
    pub decision_log: Option<PathBuf>,
    /// The largest request body accepted, in bytes
    pub max_body: usize,
    /// The longest a decide request may take, reading its body included
    pub timeout: Duration,
    /// How often the rule directory is looked at for changes
    pub watch_every: Duration,
    /// How long a changed rule directory must stay unchanged before it is loaded
    pub settle: Duration,
    /// How long a client may take to send a request's header, counted from
    /// when its connection opened or its last answer was sent (so also how
    /// long an idle keep-alive connection stays open)
    pub header_timeout: Duration,
    /// The most connections open at once; more are closed as they come
    pub max_connections: usize,
    /// The most request body bytes held in flight at once; past it a 503
    pub max_in_flight: u64,
    /// How long requests in flight may take to finish once a stop is asked for
    pub shutdown_grace: Duration,
    /// The bearer token `/v1/*` requires, when set
    pub token: Option<String>,
    /// Whether `/metrics` requires the token too
    pub token_for_metrics: bool,
    /// A directory holding the built playground (`playground/dist`), served
    /// at `/playground/` when set
    pub playground: Option<PathBuf>,
    /// A PEM certificate chain and private key: serve HTTPS
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The deployment's parameter overrides, in force across reloads
    pub params: guifan::Params,
}

impl Config {
    /// Defaults: 16 MiB bodies, 30 s per request, rules looked at every 500 ms
    /// and loaded once unchanged for 1 s, 10 s for a request's header, 512
    /// connections, 256 MiB of bodies in flight, 10 s to stop, no decision
    /// log, no token, no TLS, no parameter overrides.
    pub fn new(rules: PathBuf, listen: SocketAddr) -> Config {
        Config {
            rules,
            listen,
            decision_log: None,
            max_body: 16 << 20,
            timeout: Duration::from_secs(30),
            watch_every: Duration::from_millis(500),
            settle: Duration::from_secs(1),
            header_timeout: Duration::from_secs(10),
            max_connections: 512,
            max_in_flight: 256 << 20,
            shutdown_grace: Duration::from_secs(10),
            token: None,
            token_for_metrics: false,
            tls: None,
            playground: None,
            params: guifan::Params::new(),
        }
    }
}

/// The limits a request is held to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestLimits {
    pub(crate) max_body: usize,
    pub(crate) max_in_flight: u64,
    pub(crate) timeout: Duration,
}

/// Shared by every request.
pub(crate) struct Shared {
    pub(crate) engine: Engine,
    pub(crate) metrics: Metrics,
    pub(crate) log: Option<decision_log::DecisionLog>,
    pub(crate) limits: RequestLimits,
    /// Kibibytes of request bodies that may be in flight
    pub(crate) in_flight: Arc<tokio::sync::Semaphore>,
    pub(crate) token: Option<String>,
    /// The last reload that failed, while the rules it left in force serve
    /// (cleared by a reload that succeeds): `/healthz` says so
    pub(crate) failed_reload: std::sync::Mutex<Option<FailedReload>>,
}

/// A reload that did not load, as `/healthz` reports it.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct FailedReload {
    /// When it was tried (RFC 3339)
    pub(crate) at: String,
    /// How many problems the new rules had
    pub(crate) problems: usize,
    /// The first problem, on one line
    pub(crate) first: String,
}

/// Why the server could not start.
#[derive(Debug)]
pub enum ServeError {
    /// The rules do not load or check
    Rules(guifan::LoadError),
    /// The address, the decision log, the token or the certificate cannot be used
    Io(std::io::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Rules(e) => write!(f, "{e}"),
            ServeError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Serves until SIGTERM or SIGINT (requests in progress are answered first,
/// for up to [`Config::shutdown_grace`]). `ready` is called with the address
/// bound, once the server accepts requests.
pub async fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    serve_until(config, ready, shutdown_signal()).await
}

/// [`serve`], stopping when `stop` resolves instead of on a signal.
pub async fn serve_until(
    config: Config,
    ready: impl FnOnce(SocketAddr),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), ServeError> {
    let engine =
        Engine::from_dir_with_params(&config.rules, &config.params).map_err(ServeError::Rules)?;
    let metrics = Metrics::new();
    metrics.set_revision(engine.rules().revision());
    metrics
        .policies
        .set(i64::try_from(engine.rules().policies().count()).unwrap_or(i64::MAX));
    let log = match &config.decision_log {
        Some(path) => Some(
            decision_log::DecisionLog::open(path, metrics.log.clone()).map_err(ServeError::Io)?,
        ),
        None => None,
    };
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls::acceptor(cert, key).map_err(ServeError::Io)?),
        None => None,
    };
    if config.token.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(ServeError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the bearer token is empty",
        )));
    }
    if !config.listen.ip().is_loopback() && (config.token.is_none() || tls.is_none()) {
        let missing = match (config.token.is_none(), tls.is_none()) {
            (true, true) => "no token and no TLS",
            (true, false) => "no token",
            _ => "no TLS",
        };
        note(&format!(
            "warning: listening on {} (not loopback) with {missing}: anyone who reaches it can {}",
            config.listen,
            if config.token.is_none() {
                "decide records and read the metrics"
            } else {
                "read the token and the records on the wire"
            }
        ));
    }
    let kib = u32::try_from(config.max_in_flight.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
    let shared = Arc::new(Shared {
        engine,
        metrics,
        log,
        limits: RequestLimits {
            max_body: config.max_body,
            max_in_flight: config.max_in_flight,
            timeout: config.timeout,
        },
        in_flight: Arc::new(tokio::sync::Semaphore::new(
            (kib as usize).min(tokio::sync::Semaphore::MAX_PERMITS),
        )),
        token: config.token.clone(),
        failed_reload: std::sync::Mutex::new(None),
    });
    let guarded = axum::middleware::from_fn_with_state(shared.clone(), routes::require_token);
    let mut metrics_route = Router::new().route("/metrics", get(routes::metrics_text));
    if config.token_for_metrics {
        metrics_route = metrics_route.layer(guarded.clone());
    }
    let mut app = Router::new()
        .route("/v1/decide", post(routes::decide))
        .route("/v1/explain", post(routes::explain))
        .layer(guarded)
        .merge(metrics_route)
        .route("/healthz", get(routes::healthz));
    if let Some(dir) = &config.playground {
        app = app
            .route(
                "/playground",
                get(|| async { axum::response::Redirect::permanent("/playground/") }),
            )
            .nest_service("/playground/", tower_http::services::ServeDir::new(dir));
    }
    let app = app
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(ServeError::Io)?;
    let bound = listener.local_addr().map_err(ServeError::Io)?;
    let watcher = tokio::spawn(watch::watch(
        shared.clone(),
        config.watch_every,
        config.settle,
    ));
    ready(bound);
    let limits = server::ConnectionLimits {
        header_timeout: config.header_timeout,
        max_connections: config.max_connections,
        shutdown_grace: config.shutdown_grace,
    };
    server::run(listener, app, shared, limits, tls, stop).await;
    watcher.abort();
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// A line on standard error (never a panic, whatever state stderr is in).
pub(crate) fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "guifan serve: {text}");
}
