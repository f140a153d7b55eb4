//! `guifan serve`: decide records over HTTP, with the rules reloaded as their
//! files change.
//!
//! - `POST /v1/decide[?at=RFC3339]`: one JSON record, answered with its
//!   decision record, or JSON Lines, answered with one line per record (a
//!   decision record, or `{"line": N, "error": {...}}`). The revision of the
//!   rules that decided is in the `guifan-revision` header. Bad input is a
//!   400 with a JSON body carrying the diagnostic's code; a body over the
//!   limit is a 413, a request over the time limit a 503 — never a 500.
//! - `GET /healthz`: `{"status": "ok", "revision": ...}`.
//! - `GET /metrics`: Prometheus text, every name prefixed `guifan_`.
//!
//! The rule directory is polled; a change is loaded and checked in full
//! before it is swapped in (evaluations in flight finish on the old set), and
//! a change that does not load is reported on standard error and counted in
//! `guifan_reload_failures_total` while the old set keeps serving.

mod decide;
mod metrics;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use guifan::Engine;

use crate::decide::BadRequest;
use crate::metrics::{Metrics, RequestLabels};

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
    /// The longest a decide request may take
    pub timeout: Duration,
    /// How often the rule directory is looked at for changes
    pub watch_every: Duration,
}

impl Config {
    /// Defaults: 16 MiB bodies, 30 s per request, rules looked at every 500 ms, no decision log.
    pub fn new(rules: PathBuf, listen: SocketAddr) -> Config {
        Config {
            rules,
            listen,
            decision_log: None,
            max_body: 16 << 20,
            timeout: Duration::from_secs(30),
            watch_every: Duration::from_millis(500),
        }
    }
}

/// Shared by every request.
struct Shared {
    engine: Engine,
    metrics: Metrics,
    log: Option<Mutex<std::io::BufWriter<std::fs::File>>>,
    timeout: Duration,
}

/// Why the server could not start.
#[derive(Debug)]
pub enum ServeError {
    /// The rules do not load or check
    Rules(guifan::LoadError),
    /// The address or the decision log cannot be opened
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

/// Serves until SIGTERM or SIGINT (requests in progress are answered first).
/// `ready` is called with the address bound, once the server accepts requests.
pub async fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let engine = Engine::from_dir(&config.rules).map_err(ServeError::Rules)?;
    let metrics = Metrics::new();
    metrics.set_revision(engine.rules().revision());
    let log = match &config.decision_log {
        Some(path) => Some(Mutex::new(std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(ServeError::Io)?,
        ))),
        None => None,
    };
    let shared = Arc::new(Shared {
        engine,
        metrics,
        log,
        timeout: config.timeout,
    });
    let app = Router::new()
        .route("/v1/decide", post(decide))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .layer(DefaultBodyLimit::max(config.max_body))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(ServeError::Io)?;
    let bound = listener.local_addr().map_err(ServeError::Io)?;
    let seen = shared.engine.fingerprint();
    tokio::spawn(watch(shared, config.watch_every, seen));
    ready(bound);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(ServeError::Io)
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown() {
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

/// Looks at the rule directory every `every`; a change is loaded, checked and
/// swapped in, or reported and counted while the old set stays.
async fn watch(shared: Arc<Shared>, every: Duration, mut seen: Option<u64>) {
    loop {
        tokio::time::sleep(every).await;
        let now = shared.engine.fingerprint();
        if now == seen {
            continue;
        }
        seen = now;
        let worker = shared.clone();
        let reloaded = tokio::task::spawn_blocking(move || worker.engine.reload()).await;
        match reloaded {
            Ok(Ok(rules)) => {
                shared.metrics.reloads.inc();
                shared.metrics.set_revision(rules.revision());
                note(&format!("rules reloaded, revision {}", rules.revision()));
            }
            Ok(Err(e)) => {
                shared.metrics.reload_failures.inc();
                note(&format!(
                    "the changed rules were not loaded; the old ones stay\n{e}"
                ));
            }
            Err(e) => {
                shared.metrics.reload_failures.inc();
                note(&format!("reloading failed: {e}"));
            }
        }
    }
}

/// The query of a decide request.
#[derive(serde::Deserialize)]
struct DecideQuery {
    at: Option<String>,
}

fn json_response(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn bad_request(status: StatusCode, problem: &BadRequest) -> Response {
    let body = serde_json::to_vec(&serde_json::json!({ "error": problem })).unwrap_or_default();
    json_response(status, body, "application/json")
}

async fn decide(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<DecideQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let started = Instant::now();
    let response = answer(&shared, query, body).await;
    shared
        .metrics
        .latency
        .observe(started.elapsed().as_secs_f64());
    shared
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route: "/v1/decide",
            status: response.status().as_u16(),
        })
        .inc();
    response
}

async fn answer(
    shared: &Arc<Shared>,
    query: Result<Query<DecideQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let status = e.status();
            let problem = BadRequest {
                code: if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "guifan::serve::too_large"
                } else {
                    "guifan::serve::bad_request"
                },
                message: e.body_text(),
                field: None,
                line: None,
            };
            return bad_request(status, &problem);
        }
    };
    let at = match query {
        Ok(Query(q)) => q.at,
        Err(e) => return bad_request(StatusCode::BAD_REQUEST, &BadRequest::request(e.body_text())),
    };
    let now = match decide::evaluation_time(at.as_deref()) {
        Ok(t) => t,
        Err(p) => return bad_request(StatusCode::BAD_REQUEST, &p),
    };
    // The rules in force when the request started decide all of it.
    let rules = shared.engine.rules();
    let revision = rules.revision().to_string();
    let log = shared.log.is_some();
    let work = tokio::task::spawn_blocking(move || decide::decide(&rules, &body, now, log));
    let answer = match tokio::time::timeout(shared.timeout, work).await {
        Ok(Ok(Ok(a))) => a,
        Ok(Ok(Err(problem))) => {
            shared.metrics.records.inc();
            shared.metrics.record_errors.inc();
            return with_revision(bad_request(StatusCode::BAD_REQUEST, &problem), &revision);
        }
        Ok(Err(_)) | Err(_) => {
            let problem = BadRequest {
                code: "guifan::serve::timeout",
                message: format!("not decided within {} ms", shared.timeout.as_millis()),
                field: None,
                line: None,
            };
            return bad_request(StatusCode::SERVICE_UNAVAILABLE, &problem);
        }
    };
    let m = &shared.metrics;
    m.records.inc_by(answer.records);
    m.decisions.inc_by(answer.decisions);
    m.record_errors.inc_by(answer.record_errors);
    m.rule_errors.inc_by(answer.rule_errors);
    if let Some(log) = &shared.log {
        write_log(log, &answer.decided, now, &revision);
    }
    let content_type = if answer.batch {
        "application/x-ndjson"
    } else {
        "application/json"
    };
    with_revision(
        json_response(StatusCode::OK, answer.body, content_type),
        &revision,
    )
}

fn with_revision(mut response: Response, revision: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(revision) {
        response.headers_mut().insert("guifan-revision", v);
    }
    response
}

/// Appends each decided record to the decision log: time, subject, decisions, revision.
fn write_log(
    log: &Mutex<std::io::BufWriter<std::fs::File>>,
    decided: &[(String, serde_json::Value)],
    now: guifan::DateTime<guifan::FixedOffset>,
    revision: &str,
) {
    let Ok(mut out) = log.lock() else { return };
    let time = now.to_rfc3339();
    for (subject, decisions) in decided {
        let line = serde_json::json!({
            "time": time,
            "subject": subject,
            "decisions": decisions,
            "revision": revision,
        });
        if serde_json::to_writer(&mut *out, &line).is_err() || out.write_all(b"\n").is_err() {
            note("cannot write the decision log");
            return;
        }
    }
    if let Err(e) = out.flush() {
        note(&format!("cannot write the decision log: {e}"));
    }
}

/// A line on standard error (never a panic, whatever state stderr is in).
fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "guifan serve: {text}");
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let body = serde_json::to_vec(&serde_json::json!({
        "status": "ok",
        "revision": shared.engine.rules().revision(),
    }))
    .unwrap_or_default();
    shared
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route: "/healthz",
            status: 200,
        })
        .inc();
    json_response(StatusCode::OK, body, "application/json")
}

async fn metrics_text(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.text(),
    )
}
