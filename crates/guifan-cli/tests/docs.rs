//! The examples in the documentation parse, and full policies in it check
//! against the bundled schema: the docs cannot drift from the language.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use guifan_syntax::{parse, parse_expr, SourceId};

/// Code blocks fenced with ```` ``` ```` and no language, with the line they start at.
fn blocks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    // (first line, language, body) of the block being read
    let mut current: Option<(usize, String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut current, fence) {
            (None, Some(lang)) => current = Some((i + 2, lang.trim().to_string(), String::new())),
            (Some(_), Some(_)) => {
                if let Some((start, lang, body)) = current.take() {
                    if lang.is_empty() {
                        out.push((start, body));
                    }
                }
            }
            (Some((_, _, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

fn is_file(block: &str) -> bool {
    let first = block
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"))
        .unwrap_or("");
    ["policy ", "kind ", "record ", "effect ", "platform "]
        .iter()
        .any(|k| first.starts_with(k))
}

/// A block of policy entries rather than a syntax sketch (`rule <name> ...`).
fn is_policy_entries(block: &str) -> bool {
    let first = block
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"))
        .unwrap_or("");
    let entry = ["rule ", "let ", "param ", "governed ", "rank "]
        .iter()
        .any(|k| first.starts_with(k));
    entry && !block.contains("<name>") && !block.contains("<condition>")
}

#[test]
fn language_reference_examples_parse() {
    for doc in ["docs/language.md", "docs/tutorial.md", "README.md"] {
        let text = std::fs::read_to_string(common::root().join(doc)).unwrap();
        let mut checked = 0;
        for (line, block) in blocks(&text) {
            if block.contains("...") {
                continue; // an elided sketch, not a whole example
            }
            if is_file(&block) {
                if let Err(e) = parse(SourceId(0), &block) {
                    panic!("{doc}:{line}: example does not parse: {e:?}\n{block}");
                }
                checked += 1;
            } else if is_policy_entries(&block) {
                // Entries of a policy (`rule ...`, `let ...`): parsed inside one.
                let wrapped = format!("policy doc.example {{ subject merchant\n{block}\n}}");
                if let Err(e) = parse(SourceId(0), &wrapped) {
                    panic!("{doc}:{line}: example does not parse: {e:?}\n{block}");
                }
                checked += 1;
            } else if block.lines().count() == 1
                && !block.starts_with("cargo")
                && !block.contains("guifan")
            {
                // A one-line expression example.
                if parse_expr(SourceId(0), block.trim()).is_ok() {
                    checked += 1;
                }
            }
        }
        assert!(
            checked > 0 || doc == "README.md",
            "{doc}: no example checked"
        );
    }
}

#[test]
fn expression_examples_in_the_reference_parse() {
    let text = std::fs::read_to_string(common::root().join("docs/language.md")).unwrap();
    let start = text.find("### Collections").unwrap();
    let (line, block) = blocks(&text[start..]).into_iter().next().unwrap();
    for expr in block.lines() {
        let expr = expr.split("//").next().unwrap().trim();
        if expr.is_empty() {
            continue;
        }
        for part in expr.split("    ").map(str::trim).filter(|p| !p.is_empty()) {
            assert!(
                parse_expr(SourceId(0), part).is_ok(),
                "language.md (collections, near line {line}): `{part}` does not parse"
            );
        }
    }
}

/// The table of codes in `docs/diagnostics.md` is the registry, row for row.
#[test]
fn the_diagnostics_table_is_the_registry() {
    let text = std::fs::read_to_string(common::root().join("docs/diagnostics.md")).unwrap();
    // Each row starts with its anchor (`guifan::a::b` at `#guifan-a-b`), which
    // SARIF's `helpUri` points at.
    let rows: Vec<(String, String, String)> = text
        .lines()
        .filter(|l| l.starts_with("| <a id=\"guifan-"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            let (anchor, code) = cells[0]
                .strip_prefix("<a id=\"")
                .and_then(|c| c.split_once("\"></a>"))
                .unwrap();
            let code = code.trim_matches('`').to_string();
            assert_eq!(anchor, code.replace("::", "-"), "the anchor of {code}");
            (code, cells[1].to_string(), cells[2].to_string())
        })
        .collect();
    let registry: Vec<(String, String, String)> = guifan_syntax::diagnostic::CODES
        .iter()
        .map(|c| {
            (
                c.code.to_string(),
                c.severity.word().to_string(),
                c.summary.to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows, registry,
        "docs/diagnostics.md and the registry differ"
    );
}

/// Every code the sources report is in the registry, and every registry code
/// is reported somewhere: no code is made up, none is dead.
#[test]
fn every_code_in_the_sources_is_registered_and_used() {
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![common::root().join("crates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("diagnostic.rs")
                && !path.components().any(|c| c.as_os_str() == "tests")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut rest = text.as_str();
                // Codes are written as text (`"guifan::data::invalid"`, in a
                // `code(...)` attribute, or in
                // backquotes in docs), unlike paths of the `guifan` crate.
                while let Some(i) = rest.find("guifan::") {
                    let quoted = rest[..i].ends_with(['"', '`', '(']);
                    let code: String = rest[i..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == ':' || *c == '_')
                        .collect();
                    if quoted && code.matches("::").count() == 2 && !code.ends_with(':') {
                        found.insert(code);
                    }
                    rest = &rest[i + 8..];
                }
            }
        }
    }
    let registry: std::collections::BTreeSet<String> = guifan_syntax::diagnostic::CODES
        .iter()
        .map(|c| c.code.to_string())
        .collect();
    let unregistered: Vec<&String> = found.difference(&registry).collect();
    assert!(
        unregistered.is_empty(),
        "codes not in the registry: {unregistered:?}"
    );
    let unused: Vec<&String> = registry.difference(&found).collect();
    assert!(
        unused.is_empty(),
        "registered codes nothing reports: {unused:?}"
    );
}

/// Each lint of `docs/lints.md`: its bad example warns with its code, its good one does not.
#[test]
fn every_lint_example_in_the_docs_does_what_it_says() {
    let text = std::fs::read_to_string(common::root().join("docs/lints.md")).unwrap();
    let mut checked = 0;
    for section in text.split("\n## `").skip(1) {
        let code = section.split('`').next().unwrap();
        let blocks: Vec<(&str, &str)> = section
            .split("```")
            .skip(1)
            .step_by(2)
            .map(|b| b.split_once('\n').unwrap())
            .collect();
        let guifan_blocks: Vec<&str> = blocks
            .iter()
            .filter(|(l, _)| *l == "guifan")
            .map(|(_, b)| *b)
            .collect();
        let tested_by_toml: std::collections::HashSet<String> = blocks
            .iter()
            .filter(|(l, _)| *l == "toml")
            .filter_map(|(_, b)| b.parse::<toml::Table>().ok())
            .filter_map(|t| t.get("policy").and_then(|p| p.as_str()).map(str::to_string))
            .collect();
        let lint_codes = |body: &str,
                          tested: std::collections::HashSet<String>|
         -> Vec<&'static str> {
            let file = parse(SourceId(0), body).unwrap_or_else(|e| panic!("{code}: {e:?}\n{body}"));
            let context = guifan_lint::Context {
                tested_policies: Some(tested),
            };
            guifan_lint::lint(&[(&file, body)], &context)
                .into_iter()
                .map(|d| d.code)
                .collect()
        };
        let all_tested = |body: &str| -> std::collections::HashSet<String> {
            body.lines()
                .filter_map(|l| l.trim().strip_prefix("policy "))
                .map(|l| l.trim_end_matches(" {").to_string())
                .collect()
        };
        let bad = guifan_blocks[0];
        let bad_context = if code.ends_with("untested_policy") {
            Default::default()
        } else {
            all_tested(bad)
        };
        let warned = lint_codes(bad, bad_context);
        assert!(
            !warned.is_empty() && warned.iter().all(|c| *c == code),
            "{code}: the bad example warns {warned:?}"
        );
        let (good, good_context) = if code.ends_with("untested_policy") {
            (guifan_blocks[0], tested_by_toml)
        } else {
            (guifan_blocks[1], all_tested(guifan_blocks[1]))
        };
        assert!(
            lint_codes(good, good_context).is_empty(),
            "{code}: the good example"
        );
        checked += 1;
    }
    let lint_codes = guifan_syntax::diagnostic::CODES
        .iter()
        .filter(|c| c.code.starts_with("guifan::lint::"))
        .count();
    assert_eq!(
        checked, lint_codes,
        "every lint has a section with examples"
    );
}

/// The kinds of the bundled schema, in the order they are declared.
fn bundled_kinds() -> Vec<String> {
    let text = std::fs::read_to_string(common::root().join("rules/schema/kinds.schema")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("kind "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Each kind of the bundled schema with each platform and currency: the
/// subjects a block of entries from the docs may be written for.
fn fits(kinds: &[String]) -> Vec<(&str, &'static str, &'static str)> {
    let platforms = [
        ("douyin", "CNY"),
        ("kuaishou", "CNY"),
        ("wechat_channels", "CNY"),
        ("jd", "CNY"),
        ("tmall", "CNY"),
        ("wildberries", "RUB"),
        ("ozon", "RUB"),
        ("tiktok_shop", "USD"),
    ];
    kinds
        .iter()
        .flat_map(|k| platforms.iter().map(move |(p, c)| (k.as_str(), *p, *c)))
        .collect()
}

/// The rendered problems of one policy text checked against the bundled schema.
fn check_problems(policy: &str) -> Option<String> {
    let mut texts = Vec::new();
    for name in ["kinds.schema", "effects.schema", "platforms.schema"] {
        let path = common::root().join("rules/schema").join(name);
        texts.push((
            std::path::PathBuf::from(format!("rules/schema/{name}")),
            std::fs::read_to_string(path).unwrap(),
        ));
    }
    texts.push((
        std::path::PathBuf::from("docs/example.policy"),
        policy.to_string(),
    ));
    match guifan::RuleSet::from_sources(texts) {
        Ok(_) => None,
        Err(guifan::LoadError::Invalid {
            sources, problems, ..
        }) => Some(
            problems
                .iter()
                .map(|p| guifan::report::human_in(p.diagnostic(), &sources, 100, false))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Err(e) => Some(e.to_string()),
    }
}

/// Every policy and every block of policy entries in the documentation passes
/// `check` against the bundled schema, not only the parser. A block of entries
/// is checked inside a policy of each kind and currency until one fits; a
/// block showing a mistake is fenced as `text`, not as bare code.
#[test]
fn every_policy_example_in_the_docs_checks() {
    let kinds = bundled_kinds();
    let mut failures = Vec::new();
    let mut checked = 0;
    for doc in ["docs/language.md", "docs/tutorial.md", "README.md"] {
        let text = std::fs::read_to_string(common::root().join(doc)).unwrap();
        for (line, block) in blocks(&text) {
            if block.contains("...") {
                continue;
            }
            let first_problem = if block.trim_start().starts_with("policy ") {
                check_problems(&block)
            } else if is_policy_entries(&block) {
                let mut first = None;
                'fit: for (kind, platform, currency) in fits(&kinds) {
                    {
                        let wrapped = format!(
                            "policy doc.example {{\n  subject {kind} where platform == \"{platform}\"\n  zone Asia/Shanghai\n  currency {currency}\n{block}\n}}\n"
                        );
                        match check_problems(&wrapped) {
                            None => {
                                first = None;
                                break 'fit;
                            }
                            Some(p) => {
                                let fewer = |q: &String| {
                                    p.matches("guifan::").count() < q.matches("guifan::").count()
                                };
                                if first.as_ref().is_none_or(fewer) {
                                    first = Some(p);
                                }
                            }
                        }
                    }
                }
                first
            } else {
                continue;
            };
            checked += 1;
            if let Some(problem) = first_problem {
                failures.push(format!("{doc}:{line}:\n{block}\n{problem}"));
            }
        }
    }
    assert!(checked > 10, "only {checked} examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}
