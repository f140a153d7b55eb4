//! `guifan serve` against slow clients, idle connections, oversized and
//! odd requests, editor saves, a decision log that cannot be written, and
//! clients with and without a token, over TLS. Every connection is to
//! loopback; every loop is bounded in count and time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::root;

const AT: &str = "2023-04-20T12:00:00%2B08:00";

struct Server {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `guifan serve` on a free loopback port with `args` (after `serve`).
fn start(args: &[&str]) -> Server {
    start_with_env(args, &[])
}

fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_guifan"));
    command
        .arg("serve")
        .args(args)
        .current_dir(root())
        .stderr(Stdio::piped());
    if !args.contains(&"--listen") {
        command.args(["--listen", "127.0.0.1:0"]);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let seen = Arc::new(Mutex::new(String::new()));
    let mut addr = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        seen.lock().unwrap().push_str(&line);
        if let Some(a) = line
            .trim()
            .rsplit("://")
            .next()
            .filter(|_| line.contains("listening on"))
        {
            addr = a.to_string();
            break;
        }
    }
    assert!(!addr.is_empty(), "{}", seen.lock().unwrap());
    let keep = seen.clone();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            keep.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    Server {
        child,
        addr,
        stderr: seen,
    }
}

/// Sends `request` (raw HTTP/1.1) and reads the whole answer (the server closes).
fn exchange(addr: &str, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get(addr: &str, path: &str) -> String {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

fn post(addr: &str, path: &str, body: &str, headers: &str) -> String {
    exchange(
        addr,
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

fn first_record() -> String {
    std::fs::read_to_string(root().join("examples/douyin_zero_deposit_trial.jsonl"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string()
}

/// Whether the peer closed `s` (read gives end of file or an error) within `limit`.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn slow_headers_and_idle_connections_are_closed_and_others_still_served() {
    let server = start(&["--header-timeout-ms", "500", "--max-connections", "40"]);
    // Slowloris: half a header each, then silence.
    let mut slow: Vec<TcpStream> = (0..30)
        .map(|_| {
            let mut s = TcpStream::connect(&server.addr).unwrap();
            s.write_all(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    // Idle keep-alive: one answered request, then nothing.
    let mut idle = TcpStream::connect(&server.addr).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    assert!(idle.read(&mut buf).unwrap() > 0);
    for s in &mut slow {
        assert!(
            closed_within(s, Duration::from_secs(5)),
            "a slow header was kept open"
        );
    }
    assert!(
        closed_within(&mut idle, Duration::from_secs(5)),
        "an idle connection was kept open"
    );
    let answer = post(
        &server.addr,
        &format!("/v1/decide?at={AT}"),
        &first_record(),
        "",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn past_the_connection_limit_new_connections_are_closed_not_queued_for_ever() {
    let server = start(&["--max-connections", "5", "--header-timeout-ms", "60000"]);
    let mut held: Vec<TcpStream> = (0..5)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = TcpStream::connect(&server.addr).unwrap();
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(closed_within(&mut extra, Duration::from_secs(5)));
    // Freed places are taken again.
    held.clear();
    std::thread::sleep(Duration::from_millis(300));
    let answer = get(&server.addr, "/healthz");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let metrics = get(&server.addr, "/metrics");
    assert!(
        metrics.contains("guifan_connections_refused_total 1"),
        "{metrics}"
    );
}

#[test]
fn sigterm_stops_within_the_grace_even_with_a_half_sent_header() {
    let mut server = start(&[
        "--header-timeout-ms",
        "600000",
        "--shutdown-grace-ms",
        "1000",
    ]);
    let mut stuck = TcpStream::connect(&server.addr).unwrap();
    stuck
        .write_all(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nConte")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn oversized_bodies_are_refused_from_their_length_at_once() {
    let server = start(&["--max-body", "1000"]);
    // Content-Length over the limit, no body sent: answered at once.
    let started = Instant::now();
    let answer = exchange(
        &server.addr,
        b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("guifan::serve::too_large"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Expect: 100-continue over the limit: 413, never 100.
    let answer = exchange(
        &server.addr,
        b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
}

#[test]
fn bodies_past_the_bytes_in_flight_are_answered_503() {
    let server = start(&["--max-in-flight", "1000"]);
    let body = format!("{}\n", first_record()).repeat(3);
    assert!(body.len() > 1000);
    let answer = post(&server.addr, &format!("/v1/decide?at={AT}"), &body, "");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("guifan::serve::busy"), "{answer}");
    let small = post(
        &server.addr,
        &format!("/v1/decide?at={AT}"),
        "{\"kind\":\"nothing\",\"id\":\"x\"}",
        "",
    );
    assert!(small.starts_with("HTTP/1.1 400"), "{small}");
}

#[test]
fn a_pretty_printed_body_is_one_record_or_one_error() {
    let server = start(&[]);
    let record: serde_json::Value = serde_json::from_str(&first_record()).unwrap();
    let pretty = serde_json::to_string_pretty(&record).unwrap();
    let answer = post(&server.addr, &format!("/v1/decide?at={AT}"), &pretty, "");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"subject\":\"dy-e1\""), "{answer}");
    // Broken, over many lines: one error, not one per line.
    let broken = pretty.replacen("\"kind\"", "kind", 1);
    let answer = post(&server.addr, &format!("/v1/decide?at={AT}"), &broken, "");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(answer.matches("\"code\"").count(), 1, "{answer}");
}

/// A copy of the bundled rules.
fn rules_copy(dir: &Path) -> std::path::PathBuf {
    let rules = dir.join("rules");
    common::copy_dir(&root().join("rules"), &rules);
    rules
}

fn revision(addr: &str) -> String {
    let answer = get(addr, "/healthz");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    v["revision"].as_str().unwrap_or_default().to_string()
}

#[test]
fn an_editor_save_never_serves_a_rule_set_without_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_copy(dir.path());
    let server = start(&[
        "--rules",
        rules.to_str().unwrap(),
        "--watch-ms",
        "50",
        "--settle-ms",
        "1000",
    ]);
    let policy = rules.join("douyin/zero_deposit_trial.policy");
    let original = std::fs::read_to_string(&policy).unwrap();
    let decide = format!("/v1/decide?at={AT}");
    // Truncated, then written again 0.6 s later, as some editors save.
    std::fs::write(&policy, "").unwrap();
    let started = Instant::now();
    let mut answers = 0;
    while started.elapsed() < Duration::from_millis(600) {
        let answer = post(&server.addr, &decide, &first_record(), "");
        assert!(
            answer.contains("douyin.zero_deposit_trial"),
            "decided without the policy: {answer}"
        );
        answers += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(&policy, &original).unwrap();
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        let answer = post(&server.addr, &decide, &first_record(), "");
        assert!(
            answer.contains("douyin.zero_deposit_trial"),
            "decided without the policy: {answer}"
        );
        answers += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(answers > 20);
    let log = server.stderr.lock().unwrap().clone();
    assert!(!log.contains("policies removed"), "{log}");
}

#[test]
fn an_edit_that_keeps_size_and_mtime_is_loaded_and_its_policies_named() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_copy(dir.path());
    let server = start(&[
        "--rules",
        rules.to_str().unwrap(),
        "--watch-ms",
        "50",
        "--settle-ms",
        "200",
    ]);
    let before = revision(&server.addr);
    let policy = rules.join("douyin/zero_deposit_trial.policy");
    let original = std::fs::read_to_string(&policy).unwrap();
    let mtime = std::fs::metadata(&policy).unwrap().modified().unwrap();
    // Same length, same modification time (as `cp -p` or `rsync -a` leave it).
    let edited = original.replacen("= 100", "= 101", 1);
    assert_eq!(edited.len(), original.len());
    std::fs::write(&policy, &edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&policy)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let started = Instant::now();
    while revision(&server.addr) == before {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the edit was never loaded"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // A removed policy is named in the log and counted.
    std::fs::remove_file(rules.join("douyin/e_waybill.policy")).unwrap();
    let started = Instant::now();
    loop {
        let log = server.stderr.lock().unwrap().clone();
        if log.contains("policies removed: douyin.e_waybill") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let metrics = get(&server.addr, "/metrics");
    assert!(
        metrics.contains("guifan_reload_policies_removed_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("guifan_policies 13"), "{metrics}");
}

#[test]
fn a_decision_log_that_cannot_be_written_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("log.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for (path, says) in [
        (fifo.clone(), "not a regular file"),
        (dir.path().to_path_buf(), "is a directory"),
        (dir.path().join("missing/log.jsonl"), "missing/log.jsonl"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_guifan"))
            .args(["serve", "--listen", "127.0.0.1:0", "--decision-log"])
            .arg(&path)
            .current_dir(root())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("hung on {}", path.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn the_token_is_required_where_it_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let server = start(&[
        "--token-file",
        token.to_str().unwrap(),
        "--token-for-metrics",
    ]);
    let decide = format!("/v1/decide?at={AT}");
    for (auth, status) in [
        ("", "401"),
        ("Authorization: Bearer wrong\r\n", "401"),
        ("Authorization: s3cret-token\r\n", "401"),
        ("Authorization: Bearer s3cret-token\r\n", "200"),
    ] {
        let answer = post(&server.addr, &decide, &first_record(), auth);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{auth}: {answer}"
        );
    }
    let metrics = get(&server.addr, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 401"), "{metrics}");
    let health = get(&server.addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    // From the environment, /metrics left open.
    let server = start_with_env(&[], &[("GUIFAN_SERVE_TOKEN", "from-env")]);
    let answer = post(
        &server.addr,
        &decide,
        &first_record(),
        "Authorization: Bearer from-env\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let metrics = get(&server.addr, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
}

#[test]
fn listening_beyond_loopback_without_token_or_tls_is_warned_about() {
    let server = start(&["--listen", "0.0.0.0:0"]);
    let log = server.stderr.lock().unwrap().clone();
    assert!(
        log.contains("warning: listening on 0.0.0.0:0 (not loopback) with no token and no TLS"),
        "{log}"
    );
}

#[test]
fn https_with_a_certificate_made_here() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    let server = start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let log = server.stderr.lock().unwrap().clone();
    assert!(log.contains("listening on https://"), "{log}");
    // A client that trusts only this certificate.
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(made.cert.der().clone()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut tcp = TcpStream::connect(&server.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Plain HTTP to the TLS port is not answered as HTTP.
    let plain = get(&server.addr, "/healthz");
    assert!(!plain.starts_with("HTTP/1.1 200"), "{plain}");
}

#[test]
fn a_fifo_named_like_a_policy_never_stalls_the_watcher() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_copy(dir.path());
    let server = start(&[
        "--rules",
        rules.to_str().unwrap(),
        "--watch-ms",
        "50",
        "--settle-ms",
        "100",
    ]);
    assert!(Command::new("mkfifo")
        .arg(rules.join("douyin/stalled.policy"))
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    loop {
        let metrics = get(&server.addr, "/metrics");
        if metrics.contains("guifan_reload_failures_total 1") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{metrics}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Still watching: removing it and editing a policy is picked up.
    std::fs::remove_file(rules.join("douyin/stalled.policy")).unwrap();
    let before = revision(&server.addr);
    std::fs::remove_file(rules.join("douyin/e_waybill.policy")).unwrap();
    let started = Instant::now();
    while revision(&server.addr) == before {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the watcher stalled"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = server.stderr.lock().unwrap().clone();
    assert!(log.contains("not a regular file (a FIFO)"), "{log}");
}
