//! The routes: `POST /v1/decide`, `GET /healthz`, `GET /metrics`, and what
//! guards them (a bearer token, the body limit, the bytes in flight, the
//! time limit).

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::decide::{self, BadRequest};
use crate::metrics::RequestLabels;
use crate::Shared;

fn json_response(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn refusal(status: StatusCode, problem: &BadRequest) -> Response {
    let body = serde_json::to_vec(&serde_json::json!({ "error": problem })).unwrap_or_default();
    json_response(status, body, "application/json")
}

fn problem(code: &'static str, message: String) -> BadRequest {
    BadRequest {
        code,
        message,
        field: None,
        line: None,
        also: Vec::new(),
    }
}

/// Requires `Authorization: Bearer <token>` when the server has a token.
pub(crate) async fn require_token(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(expected) = &shared.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let matches = given.is_some_and(|g| {
            use subtle::ConstantTimeEq;
            g.as_bytes().ct_eq(expected.as_bytes()).into()
        });
        if !matches {
            shared.metrics.unauthorized.inc();
            let mut response = refusal(
                StatusCode::UNAUTHORIZED,
                &problem(
                    "guifan::serve::unauthorized",
                    "a bearer token is required: `Authorization: Bearer <token>`".into(),
                ),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"guifan\""),
            );
            return response;
        }
    }
    next.run(request).await
}

/// What a request asks for.
#[derive(Clone, Copy)]
enum Work {
    /// Decisions: `POST /v1/decide`
    Decide,
    /// Why: `POST /v1/explain`
    Explain,
}

/// `POST /v1/decide`.
pub(crate) async fn decide(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    handle(&shared, request, Work::Decide, "/v1/decide").await
}

/// `POST /v1/explain`: one record, explained as `guifan explain` does.
pub(crate) async fn explain(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    handle(&shared, request, Work::Explain, "/v1/explain").await
}

async fn handle(
    shared: &Arc<Shared>,
    request: Request,
    work: Work,
    route: &'static str,
) -> Response {
    let started = Instant::now();
    let response = answer(shared, request, started, work).await;
    shared
        .metrics
        .latency
        .observe(started.elapsed().as_secs_f64());
    count(shared, route, response.status());
    response
}

fn count(shared: &Shared, route: &'static str, status: StatusCode) {
    shared
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: status.as_u16(),
        })
        .inc();
}

/// The declared body length, when the client gave one.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

async fn answer(shared: &Arc<Shared>, request: Request, started: Instant, what: Work) -> Response {
    let limits = &shared.limits;
    let declared = content_length(request.headers());
    // Over the limit by its own word: answered before a byte of the body is
    // read (and so with no `100 Continue` to a client that expects one).
    if let Some(n) = declared.filter(|n| *n > limits.max_body as u64) {
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            &problem(
                "guifan::serve::too_large",
                format!(
                    "the body is {n} bytes; the limit is {} bytes",
                    limits.max_body
                ),
            ),
        );
    }
    // The memory requests in flight may hold: reserved before the body is read.
    let reserve = declared.unwrap_or(limits.max_body as u64);
    let kib = u32::try_from(reserve.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
    let Ok(_in_flight) = shared.in_flight.clone().try_acquire_many_owned(kib) else {
        shared.metrics.busy.inc();
        let mut response = refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            &problem(
                "guifan::serve::busy",
                format!(
                    "requests in flight hold {} bytes already; try again shortly",
                    limits.max_in_flight
                ),
            ),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let deadline = started + limits.timeout;
    let (parts, body) = request.into_parts();
    let at = match axum::extract::Query::<DecideQuery>::try_from_uri(&parts.uri) {
        Ok(axum::extract::Query(q)) => q.at,
        Err(e) => return refusal(StatusCode::BAD_REQUEST, &BadRequest::request(e.body_text())),
    };
    let work = async {
        let body = match axum::body::to_bytes(body, limits.max_body).await {
            Ok(b) => b,
            Err(e) => return Err(body_refusal(&e.to_string(), limits.max_body)),
        };
        match what {
            Work::Decide => decide_body(shared, body, at, deadline).await,
            Work::Explain => explain_body(shared, body, at).await,
        }
    };
    match tokio::time::timeout_at(deadline.into(), work).await {
        Ok(Ok(response)) | Ok(Err(response)) => response,
        Err(_) => timed_out(limits.timeout),
    }
}

fn body_refusal(message: &str, max: usize) -> Response {
    if message.contains("length limit") {
        refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            &problem(
                "guifan::serve::too_large",
                format!("the body is over the limit of {max} bytes"),
            ),
        )
    } else {
        refusal(
            StatusCode::BAD_REQUEST,
            &problem(
                "guifan::serve::bad_request",
                format!("cannot read the body: {message}"),
            ),
        )
    }
}

fn timed_out(limit: std::time::Duration) -> Response {
    refusal(
        StatusCode::SERVICE_UNAVAILABLE,
        &problem(
            "guifan::serve::timeout",
            format!("not decided within {} ms", limit.as_millis()),
        ),
    )
}

/// The query of a decide request.
#[derive(serde::Deserialize)]
struct DecideQuery {
    at: Option<String>,
}

async fn decide_body(
    shared: &Arc<Shared>,
    body: Bytes,
    at: Option<String>,
    deadline: Instant,
) -> Result<Response, Response> {
    let now =
        decide::evaluation_time(at.as_deref()).map_err(|p| refusal(StatusCode::BAD_REQUEST, &p))?;
    // The rules in force when the request started decide all of it.
    let rules = shared.engine.rules();
    let revision = rules.revision().to_string();
    let log = shared.log.is_some();
    let work =
        tokio::task::spawn_blocking(move || decide::decide(&rules, &body, now, log, deadline));
    let answer = match work.await {
        Ok(Ok(a)) => a,
        Ok(Err(p)) if p.code == "guifan::serve::timeout" => {
            return Err(timed_out(shared.limits.timeout))
        }
        Ok(Err(p)) => {
            shared.metrics.records.inc();
            shared.metrics.record_errors.inc();
            return Err(with_revision(
                refusal(StatusCode::BAD_REQUEST, &p),
                &revision,
            ));
        }
        Err(_) => return Err(timed_out(shared.limits.timeout)),
    };
    let m = &shared.metrics;
    m.records.inc_by(answer.records);
    m.decisions.inc_by(answer.decisions);
    m.record_errors.inc_by(answer.record_errors);
    m.rule_errors.inc_by(answer.rule_errors);
    if let Some(log) = &shared.log {
        let time = now.to_rfc3339();
        for (subject, decisions) in &answer.decided {
            let line = serde_json::json!({
                "time": time,
                "subject": subject,
                "decisions": decisions,
                "revision": revision,
            });
            if let Ok(bytes) = serde_json::to_vec(&line) {
                log.push(bytes);
            }
        }
    }
    let content_type = if answer.batch {
        "application/x-ndjson"
    } else {
        "application/json"
    };
    Ok(with_revision(
        json_response(StatusCode::OK, answer.body, content_type),
        &revision,
    ))
}

/// One record explained, with the revision of the rules that explained it.
async fn explain_body(
    shared: &Arc<Shared>,
    body: Bytes,
    at: Option<String>,
) -> Result<Response, Response> {
    let now =
        decide::evaluation_time(at.as_deref()).map_err(|p| refusal(StatusCode::BAD_REQUEST, &p))?;
    let rules = shared.engine.rules();
    let revision = rules.revision().to_string();
    let work = tokio::task::spawn_blocking(move || decide::explain(&rules, &body, now));
    match work.await {
        Ok(Ok(explained)) => Ok(with_revision(
            json_response(StatusCode::OK, explained, "application/json"),
            &revision,
        )),
        Ok(Err(p)) => Err(with_revision(
            refusal(StatusCode::BAD_REQUEST, &p),
            &revision,
        )),
        Err(_) => Err(timed_out(shared.limits.timeout)),
    }
}

fn with_revision(mut response: Response, revision: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(revision) {
        response.headers_mut().insert("guifan-revision", v);
    }
    response
}

/// `GET /healthz`: `ok`, or `stale` while the last change to the rules
/// failed to load and the rules before it serve (with when and why).
pub(crate) async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let failed = shared.failed_reload.lock().ok().and_then(|f| f.clone());
    let mut health = serde_json::json!({
        "status": if failed.is_some() { "stale" } else { "ok" },
        "revision": shared.engine.rules().revision(),
    });
    if let (Some(f), Some(fields)) = (failed, health.as_object_mut()) {
        fields.insert(
            "failed_reload".into(),
            serde_json::to_value(f).unwrap_or_default(),
        );
    }
    let body = serde_json::to_vec(&health).unwrap_or_default();
    count(&shared, "/healthz", StatusCode::OK);
    json_response(StatusCode::OK, body, "application/json")
}

/// `GET /metrics`.
pub(crate) async fn metrics_text(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.text(),
    )
}

/// Any other path: a 404 with a JSON body, as every answer has.
pub(crate) async fn not_found(request: Request) -> Response {
    let path = guifan::clip::one_line(request.uri().path()).into_owned();
    refusal(
        StatusCode::NOT_FOUND,
        &problem(
            "guifan::serve::not_found",
            format!(
                "no route `{path}`: the routes are POST /v1/decide, GET /healthz and GET /metrics"
            ),
        ),
    )
}

/// A known path with another method: a 405 with a JSON body.
pub(crate) async fn method_not_allowed(request: Request) -> Response {
    let method = request.method().to_string();
    let path = guifan::clip::one_line(request.uri().path()).into_owned();
    let allowed = if path.starts_with("/v1/") {
        "POST"
    } else {
        "GET"
    };
    let mut response = refusal(
        StatusCode::METHOD_NOT_ALLOWED,
        &problem(
            "guifan::serve::method_not_allowed",
            format!("`{method} {path}` is not served: use {allowed}"),
        ),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}
