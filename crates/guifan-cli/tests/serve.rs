//! `guifan serve` end to end on a free loopback port: decide, healthz,
//! metrics, the decision log, a broken rule edit (the old set keeps serving,
//! the failure counted) and a good one (picked up within 2 s), and a
//! graceful stop on SIGTERM.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::root;

const AT: &str = "2023-04-20T12:00:00%2B08:00";

/// A running server and the address it listens on.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(rules: &Path, log: &Path) -> Server {
    start_with(rules, log, &[])
}

fn start_with(rules: &Path, log: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guifan"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--watch-ms",
            "100",
            "--rules",
        ])
        .arg(rules)
        .arg("--decision-log")
        .arg(log)
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    assert!(line.contains("listening on"), "{line}");
    // Keep draining standard error so the server never blocks on it.
    std::thread::spawn(move || for _ in stderr.lines() {});
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Status, body and revision header of a POST.
fn post(url: &str, body: &str) -> (u16, String, String) {
    let mut response = agent().post(url).send(body).unwrap();
    let revision = response
        .headers()
        .get("guifan-revision")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_to_string().unwrap(),
        revision,
    )
}

fn get(url: &str) -> String {
    agent()
        .get(url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap()
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn serve_decides_reports_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    common::copy_dir(&root().join("rules"), &rules);
    let log = dir.path().join("decisions.jsonl");
    let server = start(&rules, &log);
    let decide = format!("{}/v1/decide?at={AT}", server.base);
    let examples =
        std::fs::read_to_string(root().join("examples/douyin_zero_deposit_trial.jsonl")).unwrap();
    let first = examples.lines().next().unwrap();

    // One record.
    let (status, body, revision) = post(&decide, first);
    assert_eq!(status, 200, "{body}");
    let decided: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(decided["subject"], "dy-e1");
    assert!(!decided["decisions"].as_array().unwrap().is_empty());
    assert_eq!(revision.len(), 16);

    // JSON Lines, one bad line among them: the others are decided.
    let batch = format!(
        "{first}\n{{\"kind\":\"merchant\",\"id\":\"bad\",\"listings_online\":\"many\"}}\n{first}\n"
    );
    let (status, body, _) = post(&decide, &batch);
    assert_eq!(status, 200);
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["error"]["code"], "guifan::data::invalid");
    assert!(lines[1]["error"].get("line").is_none(), "the line once");
    assert_eq!(lines[2]["subject"], "dy-e1");

    // A JSON array, as `guifan run` reads one: each record answered by its place.
    let array = format!("[{first}, {{\"kind\":\"merchant\",\"id\":\"bad\"}}]");
    let (status, body, _) = post(&decide, &array);
    assert_eq!(status, 200, "{body}");
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["subject"], "dy-e1");
    assert_eq!(lines[1]["record"], 2);
    assert_eq!(lines[1]["error"]["code"], "guifan::data::invalid");

    // Why: `POST /v1/explain` answers what `guifan explain --format json` prints.
    let explain = format!("{}/v1/explain?at={AT}", server.base);
    let (status, body, explained_by) = post(&explain, first);
    assert_eq!(
        (status, explained_by.as_str()),
        (200, revision.as_str()),
        "{body}"
    );
    let why: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(why["subject"], "dy-e1");
    let trial = why["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["policy"] == "douyin.zero_deposit_trial")
        .unwrap();
    assert!(trial["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["status"] == "fired"));
    let (status, body, _) = post(&explain, "not json");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("not JSON"), "{body}");

    // Every bad field of a record, not only the first.
    let twice = first
        .replacen(
            "\"listings_online\": 40",
            "\"listings_online\": \"many\"",
            1,
        )
        .replacen(
            "\"goods_balance\": \"3000.00\"",
            "\"goods_balance\": \"lots\"",
            1,
        );
    assert_ne!(twice, first);
    let (status, body, _) = post(&decide, &twice);
    assert_eq!(status, 400, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut fields = vec![json["error"]["field"].as_str().unwrap()];
    fields.extend(
        json["error"]["also"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["field"].as_str().unwrap()),
    );
    fields.sort_unstable();
    assert_eq!(fields, ["goods_balance", "listings_online"], "{body}");

    // A line that is not JSON is said in words.
    let (_, body, _) = post(&decide, &format!("{first}\nnot json\n"));
    assert!(body.contains("not JSON: a JSON value"), "{body}");

    // Any other path or method: JSON too.
    let response = agent()
        .get(&format!("{}/nowhere", server.base))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let (status, body, _) = post(&format!("{}/healthz", server.base), "{}");
    assert_eq!(status, 405, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"]["code"], "guifan::serve::method_not_allowed");
    let mut response = agent().get(&decide).call().unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let json: serde_json::Value =
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(json["error"]["code"], "guifan::serve::method_not_allowed");

    // Bad input is a 400 with a code, never a 500.
    for (body, code) in [
        (
            "{\"kind\":\"merchant\",\"id\":\"x\",\"listings_online\":\"many\"}",
            "guifan::data::invalid",
        ),
        ("", "guifan::serve::bad_request"),
        ("not json", "guifan::data::invalid"),
    ] {
        let (status, text, _) = post(&decide, body);
        assert_eq!(status, 400, "{body}: {text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["error"]["code"], code, "{body}");
    }
    let (status, text, _) = post(&format!("{}/v1/decide?at=yesterday", server.base), first);
    assert_eq!(status, 400, "{text}");
    // An unescaped `+` arrives as a space: the answer says how to write it.
    let (status, text, _) = post(
        &format!("{}/v1/decide?at=2023-04-20T12:00:00+08:00", server.base),
        first,
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("`%2B`"), "{text}");

    // Health and metrics.
    let health: serde_json::Value =
        serde_json::from_str(&get(&format!("{}/healthz", server.base))).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["revision"], revision);
    let metrics = get(&format!("{}/metrics", server.base));
    assert!(metric(&metrics, "guifan_records_total") >= 4.0, "{metrics}");
    assert!(
        metric(&metrics, "guifan_record_errors_total") >= 1.0,
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "guifan_rules_revision{{revision=\"{revision}\"}} 1"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("guifan_request_duration_seconds_bucket"),
        "{metrics}"
    );

    // The decision log has each decided record with the revision.
    let logged = std::fs::read_to_string(&log).unwrap();
    let entry: serde_json::Value = serde_json::from_str(logged.lines().next().unwrap()).unwrap();
    assert_eq!(entry["subject"], "dy-e1");
    assert_eq!(entry["revision"], revision);
    assert!(entry["time"]
        .as_str()
        .unwrap()
        .starts_with("2023-04-20T12:00:00"));

    // A broken edit: the old rules keep deciding, and the failure shows in the metrics.
    let policy = rules.join("douyin/zero_deposit_trial.policy");
    let original = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        original.replacen("when trial.active", "when trial.active and", 1),
    )
    .unwrap();
    let started = Instant::now();
    while metric(
        &get(&format!("{}/metrics", server.base)),
        "guifan_reload_failures_total",
    ) < 1.0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the broken edit was not seen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, _, still) = post(&decide, first);
    assert_eq!((status, still.as_str()), (200, revision.as_str()));
    // Health says the rules in force are not the files' any more, and why.
    let health: serde_json::Value =
        serde_json::from_str(&get(&format!("{}/healthz", server.base))).unwrap();
    assert_eq!(health["status"], "stale", "{health}");
    assert!(health["failed_reload"]["problems"].as_u64().unwrap() >= 1);
    assert!(health["failed_reload"]["first"]
        .as_str()
        .unwrap()
        .contains("zero_deposit_trial.policy"));

    // A good edit: a lower cap, in force within 2 s.
    let edited = original.replace(
        "param personal_listing_cap: int = 100",
        "param personal_listing_cap: int = 1",
    );
    assert_ne!(edited, original);
    std::fs::write(&policy, edited).unwrap();
    let started = Instant::now();
    loop {
        let (_, _, now_revision) = post(&decide, first);
        if now_revision != revision {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the good edit was not picked up in 2 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let metrics = get(&format!("{}/metrics", server.base));
    assert!(metric(&metrics, "guifan_reloads_total") >= 1.0, "{metrics}");
    let health: serde_json::Value =
        serde_json::from_str(&get(&format!("{}/healthz", server.base))).unwrap();
    assert_eq!(health["status"], "ok", "a good reload clears it: {health}");

    // SIGTERM: a graceful stop.
    let mut server = server;
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn serve_refuses_rules_that_do_not_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.schema"), "kind k { n: nosuch }").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_guifan"))
        .args(["serve", "--listen", "127.0.0.1:0", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("guifan::check::unknown_type"));
}

#[test]
fn a_json_lines_request_is_a_population_decided_as_guifan_run_decides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let server = start(&root().join("rules"), &log);
    // Generated records of every kind, some ranked by the Ramadan policy's
    // daily and weekly rankings: the places depend on every line.
    let lines = guifan_bench::kinds::mix(600, 5);
    let data = dir.path().join("mix.jsonl");
    std::fs::write(&data, &lines).unwrap();
    let at = guifan_bench::kinds::MIX_AT;
    let run = common::run_bundled(&data, at);
    let decide = format!("{}/v1/decide?at={}", server.base, at.replace('+', "%2B"));
    let (status, body, _) = post(&decide, &lines);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.lines().count(), 600);
    assert!(
        body == common::stdout(&run),
        "the service and `guifan run` decide the same lines differently"
    );
    // One record alone is a population of one: first in every ranking it enters.
    let ranked = lines
        .lines()
        .find(|l| l.contains("\"kind\":\"video\"") && l.contains("\"tiktok_shop\""))
        .unwrap();
    let (status, one, _) = post(&decide, ranked);
    assert_eq!(status, 200, "{one}");
    let file = dir.path().join("one.jsonl");
    std::fs::write(&file, format!("{ranked}\n")).unwrap();
    let alone = common::run_bundled(&file, at);
    assert_eq!(format!("{one}\n"), common::stdout(&alone));
}

#[test]
fn at_and_the_services_at_take_the_same_forms() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&root().join("rules"), &dir.path().join("log.jsonl"));
    let record = std::fs::read_to_string(root().join("examples/douyin_zero_deposit_trial.jsonl"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let data = dir.path().join("one.jsonl");
    std::fs::write(&data, format!("{record}\n")).unwrap();
    let forms = [
        ("2023-04-20T12:00:00+08:00", true),
        ("2023-04-20T04:00:00Z", true),
        ("2023-04-20T12:00+08:00", true),
        ("2023-04-20t12:00:00+08:00", true),
        ("2023-04-20T12:00:00.5+08:00", true),
        ("2023-04-20T12:00:00", false),
        ("2023-4-20T12:00:00+08:00", false),
        ("2023-04-20", false),
        ("yesterday", false),
    ];
    for (at, valid) in forms {
        let run = common::run_bundled(&data, at);
        let query: String = at
            .chars()
            .map(|c| match c {
                '+' => "%2B".to_string(),
                ':' => "%3A".to_string(),
                c => c.to_string(),
            })
            .collect();
        let (status, body, _) = post(&format!("{}/v1/decide?at={query}", server.base), &record);
        assert_eq!(
            run.status.success(),
            valid,
            "--at {at}: {}",
            common::stderr(&run)
        );
        assert_eq!(status == 200, valid, "?at={at}: {body}");
        if valid {
            assert_eq!(format!("{body}\n"), common::stdout(&run), "at {at}");
        }
    }
}

/// `serve --params`: the deployment's overrides decide, and stay in force
/// when the rules are reloaded.
#[test]
fn serve_keeps_parameter_overrides_across_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    common::copy_dir(&root().join("rules"), &rules);
    let params = dir.path().join("deploy.toml");
    std::fs::write(
        &params,
        "[douyin.zero_deposit_trial]\npersonal_listing_cap = 120\n",
    )
    .unwrap();
    let log = dir.path().join("decisions.jsonl");
    let server = start_with(&rules, &log, &["--params", params.to_str().unwrap()]);
    let decide = format!("{}/v1/decide?at={AT}", server.base);
    let record = common::merchant("m-110", 110);
    let capped = |body: &str| body.contains("listing_cap");
    let (status, body, revision) = post(&decide, &record);
    assert_eq!(status, 200, "{body}");
    assert!(
        !capped(&body),
        "110 listings are under the deployment's cap: {body}"
    );

    // An edit elsewhere in the policy: reloaded, the override still holds.
    let policy = rules.join("douyin/zero_deposit_trial.policy");
    let original = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, format!("{original}\n// edited\n")).unwrap();
    let started = Instant::now();
    loop {
        let (_, body, now_revision) = post(&decide, &record);
        if now_revision != revision {
            assert!(!capped(&body), "the override was dropped on reload: {body}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the edit was not picked up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let metrics = get(&format!("{}/metrics", server.base));
    assert!(metric(&metrics, "guifan_reloads_total") >= 1.0, "{metrics}");
}

#[test]
fn serve_playground_serves_the_built_page_and_nothing_outside_it() {
    let page = tempfile::tempdir().unwrap();
    std::fs::write(
        page.path().join("index.html"),
        "<!doctype html><title>p</title>",
    )
    .unwrap();
    std::fs::write(page.path().join("guifan_wasm_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let secret = page.path().parent().unwrap().join("outside-the-page.txt");
    let log = tempfile::NamedTempFile::new().unwrap();
    let server = start_with(
        &root().join("rules"),
        log.path(),
        &["--playground", page.path().to_str().unwrap()],
    );
    let agent = agent();
    let mut index = agent
        .get(&format!("{}/playground/", server.base))
        .call()
        .unwrap();
    assert_eq!(index.status().as_u16(), 200);
    assert!(index
        .body_mut()
        .read_to_string()
        .unwrap()
        .contains("<title>p"));
    let wasm = agent
        .get(&format!("{}/playground/guifan_wasm_bg.wasm", server.base))
        .call()
        .unwrap();
    // Compiled as it streams in only when served as WebAssembly.
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    let bare = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .new_agent()
        .get(&format!("{}/playground", server.base))
        .call()
        .unwrap();
    assert_eq!(bare.status().as_u16(), 308);
    assert_eq!(bare.headers()["location"], "/playground/");
    std::fs::write(&secret, "not for the page").unwrap();
    // Sent as written (an HTTP client would resolve the dots first).
    for escape in [
        "/playground/../outside-the-page.txt",
        "/playground/%2e%2e/outside-the-page.txt",
        "/playground/..%2foutside-the-page.txt",
    ] {
        use std::io::{Read, Write};
        let mut stream =
            std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
        write!(
            stream,
            "GET {escape} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 404"), "{escape}: {answer}");
        assert!(!answer.contains("not for the page"), "{escape}");
    }
    let _ = std::fs::remove_file(&secret);
    // The service goes on beside it.
    assert!(get(&format!("{}/healthz", server.base)).contains("ok"));
}

#[test]
fn serve_playground_without_a_built_page_says_how_to_build_it() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_guifan"))
        .args(["serve", "--listen", "127.0.0.1:0", "--playground"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("playground/build.sh"), "{err}");
}
