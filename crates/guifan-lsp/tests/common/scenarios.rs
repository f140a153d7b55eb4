//! The language server's scenarios, each a script of requests and what
//! must come back: run over an in-memory duplex (tests/protocol.rs) and over
//! stdio against the `guifan lsp` binary (guifan-cli's tests/lsp.rs).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly; each test file runs some of the scenarios"
)]

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};

use super::client::{uri, Client};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The policy the scenarios edit.
pub const POLICY: &str = "rules/douyin/zero_deposit_trial.policy";

/// Its text on disk.
pub fn policy_text() -> String {
    std::fs::read_to_string(repo().join(POLICY)).unwrap()
}

/// The LSP position of the first `needle` in `text`, `plus` UTF-16 units on.
pub fn position(text: &str, needle: &str, plus: u32) -> Value {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}`"));
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let col = text[start..at].encode_utf16().count() as u32 + plus;
    json!({"line": line, "character": col})
}

pub async fn open<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    client: &mut Client<R, W>,
    path: &str,
    text: &str,
) -> String {
    let u = uri(&repo().join(path));
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "guifan", "version": 1, "text": text}}),
        )
        .await;
    u
}

/// Applies LSP text edits to a text (the edits do not overlap).
pub fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let col = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let line_text = text[start..].split('\n').next().unwrap();
        let mut units = 0;
        let mut bytes = 0;
        for c in line_text.chars() {
            if units >= col {
                break;
            }
            units += c.len_utf16();
            bytes += c.len_utf8();
        }
        start + bytes
    };
    let mut edits: Vec<&Value> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(offset(&e["range"]["start"])));
    let mut out = text.to_string();
    for e in edits {
        let (s, t) = (offset(&e["range"]["start"]), offset(&e["range"]["end"]));
        out.replace_range(s..t, e["newText"].as_str().unwrap());
    }
    out
}

pub async fn a_misspelt_field_is_diagnosed_and_its_quick_fix_clears_it<
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
>(
    client: &mut Client<R, W>,
) {
    let text = policy_text().replacen("listings_online >", "listings_onlin >", 1);
    let u = open(client, POLICY, &text).await;
    let diags = client.diagnostics(&u, |d| !d.is_empty()).await;
    let unknown = diags
        .iter()
        .find(|d| d["code"] == "guifan::check::unknown_field")
        .expect("the unknown field");
    assert_eq!(
        unknown["range"]["start"],
        position(&text, "listings_onlin >", 0)
    );
    assert_eq!(
        unknown["range"]["end"],
        position(&text, "listings_onlin >", 14)
    );
    assert!(unknown["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .ends_with("diagnostics.md#guifan-check-unknown_field"));

    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": u}, "range": unknown["range"], "context": {"diagnostics": [unknown]}}),
        )
        .await;
    let fix = &actions[0];
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    let edits = fix["edit"]["changes"][&u].as_array().unwrap();
    assert_eq!(edits[0]["newText"], "listings_online");
    let fixed = apply(&text, edits);
    assert_eq!(fixed, policy_text());

    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"range": edits[0]["range"], "text": "listings_online"}]}),
        )
        .await;
    let after = client.diagnostics(&u, |d| d.is_empty()).await;
    assert!(after.is_empty(), "{after:?}");
}

pub async fn hover_shows_a_field_a_parameter_and_a_builtin<
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
>(
    client: &mut Client<R, W>,
) -> String {
    let text = policy_text();
    let u = open(client, POLICY, &text).await;
    let hover = |needle: &'static str, plus: u32| {
        let params = json!({"textDocument": {"uri": u}, "position": position(&text, needle, plus)});
        (needle, params)
    };
    let cases = [
        hover("deposit.balance >=", 9),
        hover("personal_listing_cap else", 2),
        hover("month(", 1),
    ];
    let mut shown = Vec::new();
    for (needle, params) in cases {
        let h = client.request("textDocument/hover", params).await;
        let value = h["contents"]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("a hover on {needle}: {h}"));
        shown.push(format!("## {needle}\n{value}"));
    }
    shown.join("\n\n")
}

pub async fn definition_of_a_field_is_in_the_kinds_schema<
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
>(
    client: &mut Client<R, W>,
) {
    let text = policy_text();
    let u = open(client, POLICY, &text).await;
    let loc = client
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": u}, "position": position(&text, "deposit.balance >=", 1)}),
        )
        .await;
    assert_eq!(loc["uri"], uri(&repo().join("rules/schema/kinds.schema")));
    let kinds = std::fs::read_to_string(repo().join("rules/schema/kinds.schema")).unwrap();
    let line = loc["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(kinds
        .lines()
        .nth(line)
        .unwrap()
        .trim_start()
        .starts_with("deposit"));
}

pub async fn completion_after_a_dot_lists_the_fields_of_its_record<
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
>(
    client: &mut Client<R, W>,
) -> String {
    let text = policy_text();
    let u = open(client, POLICY, &text).await;
    let edited = text.replacen("and deposit.balance >=", "and deposit. >=", 1);
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": edited}]}),
        )
        .await;
    let items = client
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": u}, "position": position(&edited, "and deposit. >=", 12)}),
        )
        .await;
    let listed: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i["label"].as_str().unwrap(),
                i["detail"].as_str().unwrap_or("")
            )
        })
        .collect();
    listed.join("\n")
}

pub async fn renaming_a_parameter_renames_it_in_the_policy_and_its_test_file<
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
>(
    client: &mut Client<R, W>,
) {
    let text = policy_text();
    let u = open(client, POLICY, &text).await;
    let edit = client
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": u}, "position": position(&text, "personal_listing_cap else", 3), "newName": "solo_listing_cap"}),
        )
        .await;
    let changes = edit["changes"].as_object().unwrap();
    let in_policy = changes[&u].as_array().unwrap();
    let renamed = apply(&text, in_policy);
    assert!(!renamed.contains("personal_listing_cap"));
    assert_eq!(
        renamed.matches("solo_listing_cap").count(),
        text.matches("personal_listing_cap").count()
    );
    let test_path = repo().join("rules/douyin/zero_deposit_trial.test.toml");
    let test_text = std::fs::read_to_string(&test_path).unwrap();
    let in_test = changes[&uri(&test_path)].as_array().unwrap();
    let renamed_test = apply(&test_text, in_test);
    assert!(
        renamed_test.contains("{ solo_listing_cap = 120 }"),
        "{in_test:?}"
    );

    // A name that is taken is refused.
    let clash = client
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": u}, "position": position(&text, "personal_listing_cap", 3), "newName": "business_listing_cap"}),
        )
        .await;
    assert!(
        clash["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already a parameter"),
        "{clash}"
    );
}

pub async fn formatting_gives_the_canonical_layout<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    client: &mut Client<R, W>,
) {
    let text = policy_text();
    let messy = text.replacen(
        "param personal_listing_cap: int = 100",
        "param   personal_listing_cap :int=100",
        1,
    );
    assert_ne!(messy, text);
    let u = open(client, POLICY, &messy).await;
    let edits = client
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    assert_eq!(apply(&messy, edits.as_array().unwrap()), text);

    // A range: only what it touches.
    let messier = messy.replacen(
        "param business_listing_cap: int = 200",
        "param business_listing_cap:int =200",
        1,
    );
    let v = 2;
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": v}, "contentChanges": [{"text": messier}]}),
        )
        .await;
    let start = position(&messier, "param business_listing_cap", 0);
    let end = position(&messier, "=200", 4);
    let edits = client
        .request(
            "textDocument/rangeFormatting",
            json!({"textDocument": {"uri": u}, "range": {"start": start, "end": end}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    let ranged = apply(&messier, edits.as_array().unwrap());
    assert!(
        ranged.contains("param business_listing_cap: int = 200"),
        "{edits}"
    );
    assert!(
        ranged.contains("param   personal_listing_cap :int=100"),
        "left as it was"
    );
}

/// The first code lens of a document that `pick` takes.
async fn lens<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    client: &mut Client<R, W>,
    u: &str,
    pick: impl Fn(&Value) -> bool,
) -> Value {
    let lenses = client
        .request("textDocument/codeLens", json!({"textDocument": {"uri": u}}))
        .await;
    lenses
        .as_array()
        .unwrap()
        .iter()
        .find(|l| pick(l))
        .cloned()
        .unwrap_or_else(|| panic!("no such lens among {lenses}"))
}

/// Runs a lens's command; what it answers.
async fn run_lens<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    client: &mut Client<R, W>,
    lens: &Value,
) -> Value {
    let command = &lens["command"];
    client
        .request(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
        .await
}

/// A lens's title.
fn title(lens: &Value) -> String {
    lens["command"]["title"].as_str().unwrap().to_string()
}

pub async fn the_run_tests_lens_runs_the_policy_tests<
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
>(
    client: &mut Client<R, W>,
) {
    let text = policy_text();
    let u = open(client, POLICY, &text).await;
    let run_tests = |l: &Value| l["command"]["command"] == "guifan.runTests";
    let before = lens(client, &u, run_tests).await;
    assert!(title(&before).starts_with("▶ Run tests"));
    let result = run_lens(client, &before).await;
    assert_eq!(result["failed"], 0, "{result}");
    assert!(result["passed"].as_u64().unwrap() >= 10, "{result}");
    let after = title(&lens(client, &u, run_tests).await);
    assert!(
        after.starts_with(&format!("✓ {} passed", result["passed"])),
        "{after}"
    );
}

pub async fn the_explain_lens_shows_each_case_in_the_rule_hover<
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
>(
    client: &mut Client<R, W>,
) {
    let text = policy_text();
    let u = open(client, POLICY, &text).await;
    let on_listing_cap = |l: &Value| {
        l["command"]["command"] == "guifan.explain"
            && l["command"]["arguments"][1] == "douyin.zero_deposit_trial.listing_cap"
    };
    let before = lens(client, &u, on_listing_cap).await;
    let result = run_lens(client, &before).await;
    let fired = result["fired"].as_u64().unwrap();
    let cases = result["cases"].as_u64().unwrap();
    assert!(fired >= 1 && fired < cases, "{result}");
    let markdown = result["markdown"].as_str().unwrap();
    assert!(
        markdown.contains("listings_online > listing_cap"),
        "{markdown}"
    );
    assert!(
        markdown.contains("to flip"),
        "distances are shown: {markdown}"
    );

    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": position(&text, "rule listing_cap", 6)}),
        )
        .await;
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(
        shown.starts_with("**rule** `douyin.zero_deposit_trial.listing_cap`"),
        "{shown}"
    );
    assert!(shown.contains("listings_online > listing_cap"), "{shown}");
    let after = title(&lens(client, &u, on_listing_cap).await);
    assert_eq!(
        after,
        format!("Explained: fired on {fired} of {cases} cases (hover the name)")
    );
}

pub async fn symbols_outline_the_policy<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    client: &mut Client<R, W>,
) {
    let text = policy_text();
    let u = open(client, POLICY, &text).await;
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": u}}),
        )
        .await;
    let policy = &symbols[0];
    assert_eq!(policy["name"], "douyin.zero_deposit_trial");
    let children: Vec<&str> = policy["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(children.contains(&"personal_listing_cap"));
    assert!(children.contains(&"listing_cap") || children.iter().any(|c| c.contains("cap")));
}

pub async fn a_test_file_is_diagnosed_and_leads_to_its_rules<
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
>(
    client: &mut Client<R, W>,
) {
    let test_path = "rules/douyin/zero_deposit_trial.test.toml";
    let good = std::fs::read_to_string(repo().join(test_path)).unwrap();
    let bad = good.replacen(
        "expect = { marketing_limits = 1 }",
        "expect = { marketing_limit = 1 }",
        1,
    );
    assert_ne!(bad, good);
    let u = open(client, test_path, &bad).await;
    let diags = client.diagnostics(&u, |d| !d.is_empty()).await;
    let d = &diags[0];
    assert_eq!(d["code"], "guifan::test::invalid");
    assert!(
        d["message"].as_str().unwrap().contains("marketing_limits"),
        "{d}"
    );
    assert_eq!(
        d["range"]["start"]["line"],
        position(&bad, "marketing_limit =", 0)["line"]
    );

    // Put right: the problem goes.
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": good}]}),
        )
        .await;
    let after = client.diagnostics(&u, |d| d.is_empty()).await;
    assert!(after.is_empty(), "{after:?}");

    // From `expect` to the rule, and from `policy` to the policy.
    let loc = client
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": u}, "position": position(&good, "marketing_limits = 1", 3)}),
        )
        .await;
    assert_eq!(loc["uri"], uri(&repo().join(POLICY)));
    let text = policy_text();
    assert_eq!(
        loc["range"]["start"],
        position(&text, "marketing_limits \"", 0)
    );
    let loc = client
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": u}, "position": position(&good, "douyin.zero_deposit_trial\"", 2)}),
        )
        .await;
    assert_eq!(
        loc["range"]["start"],
        position(&text, "douyin.zero_deposit_trial {", 0)
    );
}

pub async fn positions_are_utf16_on_lines_with_chinese_text<
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
>(
    client: &mut Client<R, W>,
) {
    let text = policy_text();
    let u = open(client, POLICY, &text).await;
    // `{deposit.balance}` after 保证金余额 (five characters: 15 bytes, 5 UTF-16 units).
    let needle = "保证金余额 {deposit.balance}";
    let at = position(&text, needle, 7 + 8);
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": at}),
        )
        .await;
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .starts_with("```guifan\nbalance: money"),
        "{hover}"
    );
    let start = position(&text, needle, 7 + 8);
    assert_eq!(hover["range"]["start"]["character"], start["character"]);
    let line = text
        .lines()
        .nth(start["line"].as_u64().unwrap() as usize)
        .unwrap();
    let bytes = line.find("balance}").unwrap();
    assert!(
        start["character"].as_u64().unwrap() < bytes as u64,
        "UTF-16 units, not bytes"
    );
}

pub async fn hints_tokens_references_folding_and_workspace_symbols_answer<
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
>(
    client: &mut Client<R, W>,
) {
    let text = policy_text();
    let u = open(client, POLICY, &text).await;
    let whole = json!({"start": {"line": 0, "character": 0}, "end": {"line": 400, "character": 0}});

    // A parameter's value where it is read.
    let hints = client
        .request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": u}, "range": whole}),
        )
        .await;
    let read = position(&text, "personal_listing_cap else", 20);
    let hint = hints
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["position"] == read)
        .expect("a hint after the read of personal_listing_cap");
    assert_eq!(hint["label"], "= 100");

    // Semantic tokens: one per resolved name, relative positions.
    let tokens = client
        .request(
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": u}}),
        )
        .await;
    let data = tokens["data"].as_array().unwrap();
    assert!(data.len() > 100 && data.len() % 5 == 0, "{}", data.len());
    // Decoded, the token at `deposit.balance >=`'s `balance` is a property (0).
    let target = position(&text, "deposit.balance >=", 8);
    let (mut line, mut col) = (0u64, 0u64);
    let mut found = None;
    for t in data.chunks(5) {
        let (dl, dc) = (t[0].as_u64().unwrap(), t[1].as_u64().unwrap());
        col = if dl == 0 { col + dc } else { dc };
        line += dl;
        if json!({"line": line, "character": col}) == target {
            found = Some((t[2].as_u64().unwrap(), t[3].as_u64().unwrap()));
        }
    }
    assert_eq!(found, Some((7, 0)), "length 7, a property");

    // References of a definition, with and without its declaration.
    let at = position(&text, "> listing_cap", 3);
    let with = client
        .request("textDocument/references", json!({"textDocument": {"uri": u}, "position": at, "context": {"includeDeclaration": true}}))
        .await;
    let without = client
        .request("textDocument/references", json!({"textDocument": {"uri": u}, "position": at, "context": {"includeDeclaration": false}}))
        .await;
    assert_eq!(
        with.as_array().unwrap().len(),
        without.as_array().unwrap().len() + 1
    );

    let folds = client
        .request(
            "textDocument/foldingRange",
            json!({"textDocument": {"uri": u}}),
        )
        .await;
    let policy_line = position(&text, "policy douyin", 0)["line"].clone();
    assert!(folds
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["startLine"] == policy_line));

    let symbols = client
        .request("workspace/symbol", json!({"query": "zero_deposit"}))
        .await;
    assert!(symbols
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "douyin.zero_deposit_trial" && s["location"]["uri"] == u));
}
