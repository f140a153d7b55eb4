//! Parsing whole files and expressions into the AST.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests and benchmarks fail loudly"
)]

use guifan_syntax::ast::{BinaryOp, ExprKind, Item, Literal, RuleBody, TemplatePart};
use guifan_syntax::{parse, parse_expr, ParseError, SourceId};

fn expr(text: &str) -> ExprKind {
    parse_expr(SourceId(0), text).expect("parses").kind
}

#[test]
fn parses_a_policy_with_versions_params_and_lets() {
    let src = r#"
        // schema and policy in one file
        kind claim { platform: string, order_at: timestamp, price: money, finding: "counterfeit" | "genuine" | "pending" }
        effect compensate(refund: money, compensation: money)
        policy douyin.authenticity_guarantee {
          title "正品保障"
          subject claim where platform == "douyin"
          zone Asia/Shanghai
          currency CNY
          governed by order_at
          param minimum: money = 500 CNY
          let triple = 3 * price
          rule compensation {
            version "正品保障" until 2023-02-24T00:00+08:00 {
              when finding == "counterfeit"
              then compensate(refund: price, compensation: max(triple, minimum))
              message "赔付 {max(triple, minimum)}"
            }
            version "假一赔四" from 2023-02-24T00:00+08:00 {
              when finding == "counterfeit"
              then compensate(refund: price, compensation: 4 * price)
            }
          }
        }
    "#;
    let file = parse(SourceId(1), src).expect("parses");
    assert_eq!(file.items.len(), 3);
    let Item::Policy(policy) = &file.items[2] else {
        panic!("not a policy")
    };
    assert_eq!(policy.id.node, "douyin.authenticity_guarantee");
    assert_eq!(policy.params.len(), 1);
    assert_eq!(policy.lets.len(), 1);
    let RuleBody::Versions(versions) = &policy.rules[0].body else {
        panic!("no versions")
    };
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1].label.node, "假一赔四");
    let message = versions[0].clauses.message.as_ref().expect("message");
    assert!(matches!(&message.parts[0], TemplatePart::Text(t) if t == "赔付 "));
    assert!(
        matches!(&message.parts[1], TemplatePart::Expr(e) if matches!(e.kind, ExprKind::Call { .. }))
    );
}

#[test]
fn literals() {
    assert_eq!(
        expr("5000.00 CNY"),
        ExprKind::Literal(
            Literal::Money("5000.00".parse().unwrap(), "CNY".into()),
            "5000.00 CNY".into()
        )
    );
    assert_eq!(
        expr("50%"),
        ExprKind::Literal(Literal::Percent("0.5".parse().unwrap()), "50%".into())
    );
    assert_eq!(
        expr("30d"),
        ExprKind::Literal(Literal::Duration(30 * 86_400), "30d".into())
    );
    assert_eq!(
        expr("15min"),
        ExprKind::Literal(Literal::Duration(900), "15min".into())
    );
    assert!(matches!(
        expr("09:00"),
        ExprKind::Literal(Literal::Time(_), _)
    ));
    assert!(matches!(
        expr("2023-02-28"),
        ExprKind::Literal(Literal::Date(_), _)
    ));
    assert!(matches!(
        expr("2023-02-24T00:00+08:00"),
        ExprKind::Literal(Literal::Timestamp(_), _)
    ));
    assert_eq!(
        expr("\"a\\\"b\""),
        ExprKind::Literal(Literal::Str("a\"b".into()), "\"a\\\"b\"".into())
    );
}

#[test]
fn precedence() {
    // `and` binds tighter than `or`; comparison tighter than `and`; `*` tighter than `+`.
    let ExprKind::Chain { rest, .. } = expr("a or b and c > 1 + 2 * 3") else {
        panic!()
    };
    let [(BinaryOp::Or, and)] = &rest[..] else {
        panic!("{rest:?}")
    };
    let ExprKind::Chain { rest, .. } = &and.kind else {
        panic!()
    };
    let [(BinaryOp::And, cmp)] = &rest[..] else {
        panic!()
    };
    let ExprKind::Binary(BinaryOp::Gt, _, sum) = &cmp.kind else {
        panic!()
    };
    let ExprKind::Chain { rest, .. } = &sum.kind else {
        panic!()
    };
    assert!(matches!(&rest[..], [(BinaryOp::Add, product)]
        if matches!(&product.kind, ExprKind::Chain { rest, .. } if rest[0].0 == BinaryOp::Mul)));
    // `??` binds tighter than comparison.
    assert!(matches!(
        expr("a ?? 0 > 5"),
        ExprKind::Binary(BinaryOp::Gt, _, _)
    ));
    // `not` applies to the whole comparison.
    assert!(matches!(expr("not a == b"), ExprKind::Unary(..)));
    // Unary minus binds tighter than `*`.
    let ExprKind::Chain { first, .. } = expr("-a * b") else {
        panic!()
    };
    assert!(matches!(first.kind, ExprKind::Unary(..)));
}

#[test]
fn operators_of_one_level_form_one_flat_chain_in_order() {
    let ExprKind::Chain { first, rest } = expr("a - b + c - d") else {
        panic!()
    };
    assert!(matches!(first.kind, ExprKind::Name(ref n) if n == "a"));
    let ops: Vec<BinaryOp> = rest.iter().map(|(op, _)| *op).collect();
    assert_eq!(ops, [BinaryOp::Sub, BinaryOp::Add, BinaryOp::Sub]);
    // A chain of a tighter level followed by a looser operator is one
    // operand of the looser chain, not extended by it.
    for (text, looser, tighter) in [
        ("a * b + c", BinaryOp::Add, BinaryOp::Mul),
        ("a and b or c", BinaryOp::Or, BinaryOp::And),
    ] {
        let ExprKind::Chain { first, rest } = expr(text) else {
            panic!("{text}")
        };
        let ops: Vec<BinaryOp> = rest.iter().map(|(op, _)| *op).collect();
        assert_eq!(ops, [looser], "{text}");
        assert!(
            matches!(&first.kind, ExprKind::Chain { rest, .. } if rest.len() == 1 && rest[0].0 == tighter),
            "{text}: {first:?}"
        );
    }
    // Parentheses start a chain of their own, and stay in the tree as written.
    let ExprKind::Chain { first, rest } = expr("(a - b) - c") else {
        panic!()
    };
    assert_eq!(rest.len(), 1);
    assert!(
        matches!(&first.kind, ExprKind::Paren(inner) if matches!(inner.kind, ExprKind::Chain { .. }))
    );
    // `else if` is one `if` with several branches.
    let ExprKind::If { branches, .. } =
        expr("if a then 1 else if b then 2 else if c then 3 else 4")
    else {
        panic!()
    };
    assert_eq!(branches.len(), 3);
}

#[test]
fn comparisons_do_not_chain() {
    for text in ["a < b < c", "a == b == c", "x in xs in ys", "a < b >= c"] {
        let err = parse_expr(SourceId(0), text).unwrap_err();
        assert!(
            matches!(err, ParseError::ChainedComparison { .. }),
            "{text}: {err:?}"
        );
    }
    assert!(parse_expr(SourceId(0), "(a < b) == c").is_ok());
}

#[test]
fn comprehensions_and_named_conditions() {
    assert!(matches!(
        expr("sum(d.points for d in creator_deductions where d.at > now - 30d)"),
        ExprKind::Comprehension {
            map: Some(_),
            filter: Some(_),
            ..
        }
    ));
    assert!(matches!(
        expr("any(w in withdrawals)"),
        ExprKind::Comprehension {
            map: None,
            filter: None,
            ..
        }
    ));
    assert!(matches!(expr("max(a, b)"), ExprKind::Call { .. }));
    let ExprKind::Conditions { items, .. } = expr("any { a \"甲\": x > 1\n b: y }") else {
        panic!()
    };
    assert_eq!(items.len(), 2);
    assert!(matches!(expr("m.from"), ExprKind::Field(..)));
    assert!(matches!(
        expr("trial is present"),
        ExprKind::Presence { present: true, .. }
    ));
}

#[test]
fn syntax_errors_are_located() {
    let src = "policy a.b {\n  rule r {\n    when x >\n  }\n}\n";
    let errors = parse(SourceId(0), src).unwrap_err();
    let ParseError::Syntax { span, .. } = &errors[0] else {
        panic!("{errors:?}")
    };
    assert_eq!(&src[span.start as usize..span.start as usize + 1], "}");
}

#[test]
fn invalid_dates_are_reported() {
    let errors = parse(SourceId(0), "policy a.b { effective from 2023-02-30 }").unwrap_err();
    assert!(matches!(
        errors[0],
        ParseError::InvalidLiteral { what: "date", .. }
    ));
    // A timestamp's date and time are joined by `T`, `t` or a space; any
    // other character is refused by its shape, before chrono reads it.
    let shape = "expected YYYY-MM-DDTHH:MM with an offset, such as 2023-02-24T00:00+08:00";
    for joined in [
        "2023-02-24T00:00+08:00",
        "2023-02-24t00:00:00+08:00",
        "2023-02-24 00:00:00+08:00",
    ] {
        assert!(
            guifan_syntax::literal::timestamp(joined).is_ok(),
            "{joined}"
        );
    }
    assert_eq!(
        guifan_syntax::literal::timestamp("2023-02-24x00:00+08:00"),
        Err(shape.to_string())
    );
}

#[test]
fn header_entries_are_given_once() {
    let errors = parse(
        SourceId(0),
        "policy a.b {\n  zone Asia/Shanghai\n  zone Europe/Moscow\n}",
    )
    .unwrap_err();
    assert!(
        matches!(&errors[0], ParseError::DuplicateEntry { entry, .. } if entry == "zone"),
        "{errors:?}"
    );
}

#[test]
fn string_escapes_are_checked_and_work_in_messages() {
    assert_eq!(
        expr(r#""\u{4E2D}\t\"""#),
        ExprKind::Literal(Literal::Str("中\t\"".into()), r#""\u{4E2D}\t\"""#.into())
    );
    // Six hex digits, the most a code point needs, are read.
    assert_eq!(
        expr(r#""\u{01F600}""#),
        ExprKind::Literal(Literal::Str("😀".into()), r#""\u{01F600}""#.into())
    );
    for bad in [r#""\q""#, r#""\u{110000}""#, r#""\u{zz}""#, r#""\u4E2D""#] {
        let err = parse_expr(SourceId(0), bad).unwrap_err();
        assert!(
            matches!(
                err,
                ParseError::InvalidLiteral {
                    what: "string escape",
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
    }
    let file = parse(
        SourceId(0),
        r#"policy a.b { subject s rule r { when x then e message "\u{4E2D}{n} \{literal\} {{x}}" } }"#,
    )
    .unwrap();
    let Item::Policy(p) = &file.items[0] else {
        panic!()
    };
    let RuleBody::Single(c) = &p.rules[0].body else {
        panic!()
    };
    let parts = &c.message.as_ref().unwrap().parts;
    assert!(matches!(&parts[0], TemplatePart::Text(t) if t == "中"));
    assert!(matches!(&parts[1], TemplatePart::Expr(_)));
    assert!(matches!(&parts[2], TemplatePart::Text(t) if t == " {literal} {x}"));
    let bad = parse(
        SourceId(0),
        r#"policy a.b { subject s rule r { when x then e message "bad \q here" } }"#,
    )
    .unwrap_err();
    assert!(matches!(&bad[0], ParseError::InvalidLiteral { span, .. } if span.len() == 2));
    // After an interpolation too, the span is the escape itself.
    let text = r#"policy a.b { subject s rule r { when x then e message "{n} bad \q here" } }"#;
    let bad = parse(SourceId(0), text).unwrap_err();
    let ParseError::InvalidLiteral { span, .. } = &bad[0] else {
        panic!("{bad:?}")
    };
    assert_eq!(
        text.get(span.start as usize..span.end as usize),
        Some("\\q")
    );
}

/// A bad escape is placed on the escape itself (`\u` without its brace),
/// wherever it is in the string.
#[test]
fn a_bad_escape_is_placed_where_it_goes_wrong() {
    for (text, at) in [
        (r#""ab\u4E2D""#, (3, 5)),
        (r#""\u4E2D""#, (1, 3)),
        // Ended right after its brace: the escape to the string's end.
        (r#""ab\u{""#, (3, 6)),
        // Unclosed after its digits: the escape to its last digit.
        (r#""ab\u{12""#, (3, 8)),
    ] {
        let err = parse_expr(SourceId(0), text).unwrap_err();
        let ParseError::InvalidLiteral { span, .. } = err else {
            panic!("{text}: {err:?}");
        };
        assert_eq!((span.start, span.end), at, "{text}: {span:?}");
    }
}

/// The comments attached to an entry: those right above it, and the one
/// at the end of its first line; not those of other entries.
#[test]
fn comments_attach_to_the_entry_below_and_the_line_they_end() {
    let text = "// about k\nkind k { n: int } // k's line\n// about j\nkind j { m: int }\n";
    let file = guifan_syntax::parse(SourceId(0), text).unwrap();
    let k = text.find("kind k").unwrap() as u32;
    let k_line_end = text.find(" // k's").unwrap() as u32 + 14;
    let on_k: Vec<&str> = file
        .comments_on(k, k_line_end)
        .map(|c| c.text.trim())
        .collect();
    assert_eq!(on_k, ["about k", "k's line"]);
    let j = text.find("kind j").unwrap() as u32;
    let on_j: Vec<&str> = file.comments_on(j, j + 5).map(|c| c.text.trim()).collect();
    assert_eq!(on_j, ["about j"]);
}

/// Layout aside, a file and its reflowed form are the same tree, effect
/// calls included; a changed argument is not (a survivor of the mutation
/// run: effect calls kept their spans, and nothing compared two layouts of one).
#[test]
fn the_same_file_laid_out_twice_is_the_same_tree_and_a_changed_argument_is_not() {
    let tight =
        "policy a.b { subject s require x > 1 \"m\" rule r { when x then e(code: \"c\", n: 1) } }";
    let loose = "policy a.b {\n  subject s\n  require  x >  1  \"m\"\n  rule r {\n    when x\n    then e(  code:   \"c\",\n      n: 1 )\n  }\n}\n";
    let other =
        "policy a.b { subject s require x > 1 \"m\" rule r { when x then e(code: \"d\", n: 1) } }";
    let tree = |text: &str| parse(SourceId(0), text).unwrap();
    assert!(guifan_syntax::same_ignoring_spans(
        &tree(tight),
        &tree(loose)
    ));
    assert!(!guifan_syntax::same_ignoring_spans(
        &tree(tight),
        &tree(other)
    ));
    // Declarations that did not parse are compared without their spans too.
    let broken = |text: &str| guifan_syntax::parse_recovering(SourceId(0), text).0;
    assert!(guifan_syntax::same_ignoring_spans(
        &broken("kind a { x: @ }\nkind b { y: int }\n"),
        &broken("\n\nkind a {   x: @ }\nkind b { y: int }\n")
    ));
}

/// Where only a string may come, the error says so (a survivor of the
/// mutation run: the words for a string went unnoticed).
#[test]
fn a_title_that_is_not_a_string_is_told_a_string_is_expected() {
    let errors = parse(SourceId(0), "policy a.b { title 5 subject s }").unwrap_err();
    let text = format!("{errors:?}");
    assert!(text.contains("a string"), "{text}");
}

/// Every bundled rule file (policies and schema), its text moved down by
/// blank lines and indented, so that every span in it differs: the same tree
/// ignoring spans, and not the same tree with them. Each kind of node the
/// bundled files hold must forget its spans for the first to hold.
#[test]
fn every_bundled_file_moved_down_is_the_same_tree_ignoring_spans() {
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let paths: Vec<std::path::PathBuf> = walkdir::WalkDir::new(rules)
        .into_iter()
        .map(|entry| entry.unwrap().into_path())
        .filter(|path| {
            path.extension()
                .is_some_and(|e| e == "policy" || e == "schema")
        })
        .collect();
    assert!(paths.len() >= 17, "{paths:?}");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let tree = parse(SourceId(0), &text).unwrap();
        let moved = parse(SourceId(0), &format!("\n\n   {text}")).unwrap();
        assert!(tree != moved, "{}: spans should differ", path.display());
        assert!(
            guifan_syntax::same_ignoring_spans(&tree, &moved),
            "{}",
            path.display()
        );
    }
}

/// A syntax error carries advice only when a common mistake is recognised,
/// never an empty one (a survivor of the mutation run: empty advice went
/// unnoticed).
#[test]
fn syntax_errors_carry_advice_only_for_common_mistakes() {
    let help = |text: &str| match parse(SourceId(0), text).unwrap_err().first() {
        Some(ParseError::Syntax { help, .. }) => help.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        help("policy a.b { subject s rule r { when x = 1 then e } }").as_deref(),
        Some("to compare, write `==`")
    );
    assert_eq!(help("kind k { f: 5 }"), None);
}

/// What did not parse is kept as its first word and the name after it,
/// dotted names whole (a survivor of the mutation run: a name cut at its
/// first dot went unnoticed).
#[test]
fn a_declaration_or_entry_that_did_not_parse_keeps_its_word_and_name() {
    let broken = |text: &str| {
        let (file, errors) = guifan_syntax::parse_recovering(SourceId(0), text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let entries = file.items.iter().flat_map(|i| match i {
            Item::Policy(p) => p.broken.clone(),
            _ => Vec::new(),
        });
        file.broken
            .iter()
            .cloned()
            .chain(entries)
            .map(|b| (b.keyword, b.name))
            .collect::<Vec<_>>()
    };
    let named = |word: &str, name: &str| vec![(word.to_string(), Some(name.to_string()))];
    assert_eq!(
        broken("policy douyin.trial ( }\n"),
        named("policy", "douyin.trial")
    );
    assert_eq!(
        broken("policy douyin.trial {\n  subject merchant\n  let a.b = = 1\n}\n"),
        named("let", "a.b")
    );
    assert_eq!(broken("kind k_1 { a: : int }\n"), named("kind", "k_1"));
}

/// Recovers `text`, which holds one syntax error, and counts the kinds
/// named `name` that were kept.
fn kinds_kept_after_one_error(text: &str, name: &str) -> usize {
    let (file, errors) = guifan_syntax::parse_recovering(SourceId(0), text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    file.items
        .iter()
        .filter(|i| matches!(i, Item::Kind(k) if k.name.name == name))
        .count()
}

/// Recovery reads strings as strings: a brace or an escaped quote inside one
/// does not end the broken declaration, and the next one still parses
/// (a survivor of the mutation run: strings read backwards hung recovery).
#[test]
fn recovery_reads_braces_and_escaped_quotes_in_strings_as_text() {
    let text = "policy a.b {\n  title \"} \\\" {\" oops\n  subject s\n}\nkind j { b: int }\n";
    assert_eq!(kinds_kept_after_one_error(text, "j"), 1);
}

/// What was expected, in words, where a declaration's body, an effect's
/// guard or an entry word should stand; a misspelt entry word is answered
/// with the nearest (survivors of the mutation run: these words went
/// unnoticed, and a kind's missing `{` was said to want "a value").
#[test]
fn what_was_expected_is_said_in_words() {
    let said = |text: &str| match parse(SourceId(0), text).unwrap_err().first() {
        Some(ParseError::Syntax { expected, help, .. }) => (expected.clone(), help.clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(said("kind k x").0, "`{`");
    assert_eq!(said("record r x").0, "`{`");
    assert_eq!(
        said("policy a.b { subject s rule r { when x then e 5 } }").0,
        "`if` or `message`"
    );
    assert_eq!(
        said("policy a.b { rule r for x in xs 5 }").0,
        "`group by` or an operator"
    );
    // Advice for what was expected: what an operand or a name is.
    let operand =
        "an operand is a name, a literal such as `100`, `5000.00 CNY` or `\"text\"`, or a call";
    let name = "a name is a word of letters, digits and `_` that starts with a letter or `_` and is not a keyword";
    for (text, help) in [
        ("policy a.b { rule r { when } }", Some(operand)),
        ("policy a.b { rule r { when a > } }", Some(operand)),
        ("policy a.b { rule 5 }", Some(name)),
        ("policy a.b { rule r { when a then 5 } }", Some(name)),
        ("kind k { x: 5 }", None),
    ] {
        assert_eq!(said(text).1.as_deref(), help, "{text}");
    }
    assert_eq!(said("kind k { x: 5 }").0, "a type");
    // Where a name is missing: in an effect's arguments, its declared
    // parameters, or a record's fields, each told what goes there.
    let name = "a name is a word of letters, digits and `_` that starts with a letter or `_` and is not a keyword";
    for (text, help) in [
        (
            "policy a.b { rule r { when x then e(5) } }",
            "effect arguments are written `name: value`, separated by commas",
        ),
        (
            "effect e(5)",
            "an effect's parameters are written `name: type`, separated by commas",
        ),
        (
            "effect e(a: int, 5)",
            "an effect's parameters are written `name: type`, separated by commas",
        ),
        ("record r { 5 }", name),
        ("kind k { x: { 5 } }", name),
    ] {
        assert_eq!(said(text).1.as_deref(), Some(help), "{text}");
    }
    // Each place's words (survivors of the mutation run: a word's arm deleted went unnoticed).
    for (text, expected) in [
        (
            "kind k { x: int } }",
            "a declaration (`policy`, `kind`, `record`, `effect`, `platform`) or end of file",
        ),
        (
            "5",
            "a declaration (`policy`, `kind`, `record`, `effect`, `platform`)",
        ),
        (
            "policy 5 { }",
            "a dotted policy ID such as `douyin.zero_deposit_trial`",
        ),
        ("policy a.b { currency 5 }", "a currency code such as `CNY`"),
        ("policy a.b { zone }", "a time zone such as `Asia/Shanghai`"),
        (
            "policy a.b { subject k 5 }",
            "a policy entry (`title`, `subject`, `zone`, `param`, `let`, `rule`, ...)",
        ),
        ("kind k { 5 }", "`when` or a name"),
        ("kind k { x }", "`when` or a field (`name: type`)"),
        (
            "policy a.b { rule r { when x then e(a 1) } }",
            "an argument (`name: value`)",
        ),
        (
            "policy a.b { rule r { let x = 1 5 } }",
            "`let`, `when` or an operator",
        ),
        ("policy a.b { rule r 5 }", "`for`, `on`, `{` or a string"),
        ("policy a.b { rule r { 5 } }", "`version` or `when`"),
        ("policy a.b { effective 5 }", "`from` or `until`"),
        ("policy a.b { effective from 5 }", "a date or timestamp"),
        (
            "policy a.b { rule r { when a 5 } }",
            "`then` or an operator",
        ),
        ("policy a.b { rule r { when any { 5 } then e } }", "a name"),
        ("policy a.b { rule r { version 5 } }", "a string"),
        ("kind k { x: map<5> }", "a type"),
    ] {
        assert_eq!(said(text).0, expected, "{text}");
    }
    // A call's argument may go on with `for` or `where`; a prefix wants an operand.
    for (text, expected) in [
        (
            "policy a.b { rule r { when count(x 5) > 1 then e } }",
            "`for`, `where` or an operator",
        ),
        (
            "policy a.b { rule r { when count(x for x in xs where) > 1 then e } }",
            "an expression",
        ),
        ("policy a.b { rule r { when - } }", "an operand"),
        ("policy a.b { rule r { when not } }", "an operand"),
    ] {
        assert_eq!(said(text).0, expected, "{text}");
    }
    assert_eq!(
        said("policy a.b { subjct s }").1.as_deref(),
        Some("did you mean `subject`?")
    );
    // Where no entry may stand, a word is not matched against the entries.
    assert_eq!(said("policy a.b { rule r { when x then e rul } }").1, None);
    // A word near no entry gets no suggestion.
    assert_eq!(said("policy a.b { qqqqqq s }").1, None);
    // Two edits away in a word of six: still near enough.
    assert_eq!(
        said("policy a.b { sujbet s }").1.as_deref(),
        Some("did you mean `subject`?")
    );
}

/// A declaration word at the start of an unindented line starts a new
/// declaration even when braces above it are left open: the next kind still
/// parses (a survivor of the mutation run: both conditions required went
/// unnoticed).
#[test]
fn a_declaration_at_the_start_of_a_line_is_read_after_an_unclosed_one() {
    let text = "kind a { x: int\nkind b { y: int }\n";
    let (file, errors) = guifan_syntax::parse_recovering(SourceId(0), text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let names: Vec<&str> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Kind(k) => Some(k.name.name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["b"]);
}

/// A lone `/` is division, not a comment: the braces after it on its line
/// still close the broken declaration, and the next one on that line
/// parses (a survivor of the mutation run: any `/` read as `//` went
/// unnoticed).
#[test]
fn recovery_reads_a_lone_slash_as_division() {
    let text = "policy a.b { rule r { when n / 2 > @ then e } } kind j { b: int }\n";
    assert_eq!(kinds_kept_after_one_error(text, "j"), 1);
}

/// A declaration word after a dot is a field name, even where a
/// declaration could start: it does not cut the broken text there.
#[test]
fn recovery_reads_a_word_after_a_dot_as_a_field() {
    let text = "kind a { x: int }\nx.kind b { y: int }\n";
    assert_eq!(kinds_kept_after_one_error(text, "b"), 0);
}

/// A comment is skipped to its line's end, wherever it is: the declaration
/// on the next line is still read after a broken one.
#[test]
fn recovery_skips_a_comment_to_its_line_end() {
    let text = "// first\nkind a { x: @ } // note {\n  kind b { y: int }\n";
    assert_eq!(kinds_kept_after_one_error(text, "b"), 1);
}

/// A declaration word inside braces (an argument named `kind`) does not
/// cut a broken declaration there.
#[test]
fn recovery_reads_declaration_words_inside_braces_as_names() {
    let text = "policy a.b { rule r { when @ then e(kind: 1) } }\nkind j { b: int }\n";
    assert_eq!(kinds_kept_after_one_error(text, "j"), 1);
}

/// Inside a broken rule, a `let` at the start of a line is the rule's own:
/// only `rule` starts a new entry under open braces.
#[test]
fn recovery_keeps_a_rules_own_let_in_it() {
    let text = "policy a.b {\n  rule r {\n    let x = 1\n    when @ then e\n  }\n  let y = 2\n}\n";
    let (_, errors) = guifan_syntax::parse_recovering(SourceId(0), text);
    assert_eq!(errors.len(), 1, "{errors:?}");
}

/// A broken policy is recovered entry by entry: its good rules are kept.
#[test]
fn a_broken_policy_keeps_its_good_rules() {
    // The rules and definitions kept of a policy with one broken entry.
    let kept = |text: &str| {
        let (file, errors) = guifan_syntax::parse_recovering(SourceId(0), text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let Some(Item::Policy(p)) = file.items.first() else {
            panic!("{:?}", file.items)
        };
        let rules: Vec<String> = p.rules.iter().map(|r| r.name.name.clone()).collect();
        (rules, p.lets.len())
    };
    let text = "policy a.b {\n  rule r { when @ then e }\n  rule s { when x then e }\n}\n";
    assert_eq!(kept(text), (vec!["s".to_string()], 0));
    // On one line too: entries are cut at their words outside braces.
    let text = "policy a.b { rule r { when @ then e } let y = 2 rule s { when x then e } }";
    assert_eq!(kept(text), (vec!["s".to_string()], 1));
}

/// Durations in every unit the language writes.
#[test]
fn durations_are_read_in_every_unit() {
    use guifan_syntax::literal::duration_seconds;
    for (text, seconds) in [
        ("30s", 30),
        ("15min", 900),
        ("2h", 7_200),
        ("3d", 259_200),
        ("2w", 1_209_600),
    ] {
        assert_eq!(duration_seconds(text), Some(seconds), "{text}");
    }
    assert_eq!(duration_seconds("2y"), None);
}

/// Each entry of a policy is indexed in the order written, and its span is
/// found by that index (the formatter keeps the order by it).
#[test]
fn entries_are_indexed_in_the_order_written() {
    let text = "policy a.b {\n  subject s\n  require x > 0 \"m\"\n  param p: int = 1\n  let x = 1\n  rank busy by x\n  rule r { when x > 0 then e }\n  param q: int = 2\n  let y = 2\n  rank idle by y\n  rule t { when y > 0 then e }\n  require y > 0\n}\n";
    let file = parse(SourceId(0), text).unwrap();
    let Item::Policy(p) = &file.items[0] else {
        panic!()
    };
    let spans: Vec<_> = p.order.iter().filter_map(|e| p.entry_span(e)).collect();
    let written: Vec<&str> = spans
        .iter()
        .map(|s| text.get(s.start as usize..s.end as usize).unwrap_or("?"))
        .map(|s| s.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(
        written,
        [
            "subject", "require", "param", "let", "rank", "rule", "param", "let", "rank", "rule",
            "require"
        ]
    );
    // Each entry is itself, in the order written.
    assert!(
        spans.windows(2).all(|w| w[0].start < w[1].start),
        "{spans:?}"
    );
}
