//! Parsing is linear in the input, and nesting is bounded by a located
//! diagnostic rather than by the stack.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use std::time::{Duration, Instant};

use guifan_syntax::nesting::{MAX_DEPTH, MAX_NESTING};
use guifan_syntax::{parse, parse_expr, ParseError, SourceId};

/// Nests `open ... x ... close` `depth` times.
fn nest(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

/// Every construct that nests, 40 deep: each parses at once. Before the
/// grammar was factored, `abs(` 24 deep took 52 s and each level doubled it.
#[test]
fn forty_deep_nestings_of_every_construct_parse_at_once() {
    let cases = [
        ("calls", nest("abs(", "1", ")", 40)),
        ("two-argument calls", nest("max(1, ", "1", ")", 40)),
        ("comprehensions", nest("sum(x for x in ", "xs", ")", 40)),
        (
            "filtered comprehensions",
            nest("count(x in ", "xs", " where x)", 40),
        ),
        (
            "comprehensions in maps",
            nest("sum(", "1", " for x in xs)", 40),
        ),
        ("parentheses", nest("(", "1", ")", 40)),
        ("lists", nest("[", "1", "]", 40)),
        ("if in conditions", nest("if ", "a", " then 1 else 2", 40)),
        ("if in values", nest("if a then ", "1", " else 2", 40)),
        ("named conditions", nest("any { c: ", "a", " }", 40)),
        ("indexes", nest("m[", "1", "]", 40)),
        ("windows", nest("t within (", "a", ", b]", 40)),
    ];
    for (what, text) in cases {
        let started = Instant::now();
        let parsed = parse_expr(SourceId(0), &text);
        assert!(parsed.is_ok(), "{what}: {parsed:?}");
        // Generous for a debug build on a loaded machine; the old grammar needed hours.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what} took {:?}",
            started.elapsed()
        );
    }
}

fn too_deep(text: &str) -> bool {
    let policy = format!("policy a.b {{ subject s rule r {{ when {text} then e }} }}");
    match parse(SourceId(0), &policy) {
        Ok(_) => false,
        Err(errors) => {
            assert!(
                matches!(errors.as_slice(), [ParseError::TooDeep { .. }]),
                "{:.300}",
                format!("{errors:?}")
            );
            true
        }
    }
}

#[test]
fn nesting_past_the_limit_is_a_located_error_not_a_crash() {
    let n = 100_000;
    assert!(too_deep(&nest("(", "1", ")", n)), "parentheses");
    assert!(too_deep(&nest("[", "1", "]", n)), "lists");
    assert!(too_deep(&nest("abs(", "1", ")", n)), "calls");
    assert!(too_deep(&nest("if a then ", "1", " else 2", n)), "ifs");
    assert!(
        too_deep(&nest("if ", "a", " then 1 else 2", n)),
        "ifs in conditions"
    );
    assert!(too_deep(&format!("{}a", "not ".repeat(n))), "not");
    assert!(too_deep(&format!("{}a", "-".repeat(n))), "negation");
    assert!(too_deep(&format!("a{}", ".b".repeat(n))), "fields");
    assert!(too_deep(&format!("a{}", "[1]".repeat(n))), "indexes");
    assert!(
        too_deep(&format!("1 + {}", nest("(", "1", ")", MAX_NESTING + 1))),
        "just past the limit"
    );
    // The message template's interpolations are bounded too.
    let template = format!(
        "policy a.b {{ subject s rule r {{ when a then e message \"{{{}}}\" }} }}",
        nest("(", "1", ")", n)
    );
    assert!(matches!(
        parse(SourceId(0), &template).unwrap_err().as_slice(),
        [ParseError::TooDeep { .. }]
    ));
    // Types nest through `map<` and brackets.
    let kind = format!("kind k {{ f: {} }}", nest("map<string, ", "int", ">", n));
    assert!(matches!(
        parse(SourceId(0), &kind).unwrap_err().as_slice(),
        [ParseError::TooDeep { .. }]
    ));
}

#[test]
fn the_limits_are_where_the_documentation_says() {
    assert!(!too_deep(&nest("(", "1", ")", MAX_NESTING - 4)));
    assert!(too_deep(&nest("(", "1", ")", MAX_NESTING + 1)));
    assert!(!too_deep(&format!("{}a", "not ".repeat(MAX_DEPTH - 2))));
    assert!(too_deep(&format!("{}a", "not ".repeat(MAX_DEPTH + 1))));
    // Depth built across brackets, each shallow alone, is measured whole:
    // 60 brackets are allowed, and 121 levels, but not 181.
    let n = MAX_NESTING - 4;
    assert!(!too_deep(&format!(
        "{}a{}",
        "not -(".repeat(n),
        ")".repeat(n)
    )));
    assert!(too_deep(&format!(
        "{}a{}",
        "not not -(".repeat(n),
        ")".repeat(n)
    )));
    // Exactly at the limit: 42 brackets of three levels, `not` and the name.
    let at = |inner: &str| format!("{}{inner}{}", "not not -(".repeat(42), ")".repeat(42));
    assert!(!too_deep(&at("not a")));
    assert!(too_deep(&at("not not a")));
}

#[test]
fn chains_of_any_length_parse_flat() {
    for op in ["+", "-", "*", "or", "and", "??"] {
        let text = vec!["a"; 50_000].join(&format!(" {op} "));
        let started = Instant::now();
        assert!(!too_deep(&text), "{op}");
        assert!(started.elapsed() < Duration::from_secs(20), "{op}");
    }
    let chain = format!("if a then 1 {} else 2", "else if b then 1 ".repeat(20_000));
    assert!(!too_deep(&chain));
}

/// At the deepest nesting allowed, parsing fits in the stack of a rayon
/// worker or a test thread (2 MiB; the main thread has 8 MiB).
const STACK: usize = 2 << 20;

#[test]
fn the_deepest_file_allowed_parses_on_a_small_stack() {
    let text = format!(
        "policy a.b {{ subject s rule r {{ when {} then e }} }}",
        nest("(if a then not ", "b.c", " else d)", MAX_NESTING / 2 - 2)
    );
    let ok = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || parse(SourceId(0), &text).is_ok())
        .unwrap()
        .join()
        .unwrap();
    assert!(ok);
}

#[test]
fn recovery_from_many_broken_declarations_is_linear() {
    // 40,000 declarations that do not parse, then 40,000 broken rules in one
    // policy: each is reported, and the whole is read in one pass (a quadratic
    // cut took minutes here).
    let kinds: String = (0..40_000)
        .map(|i| format!("kind k{i} {{ a: : int }}\n"))
        .collect();
    let rules: String = std::iter::once("policy t.p {\n  subject merchant\n".to_string())
        .chain((0..40_000).map(|i| format!("  rule r{i} {{ when x > then end_trial }}\n")))
        .chain(std::iter::once("}\n".to_string()))
        .collect();
    for text in [kinds, rules] {
        let started = Instant::now();
        let (file, errors) = guifan_syntax::parse_recovering(SourceId(0), &text);
        assert_eq!(errors.len(), 40_000);
        assert!(file.items.len() <= 1);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    }
}

/// Each bracket closes the `if`s opened inside it: any number of bracketed
/// conditionals side by side nest no deeper than one (a survivor of the
/// mutation run: adding their count on closing went unnoticed).
#[test]
fn bracketed_conditionals_side_by_side_are_not_nested() {
    let terms = vec!["(if n > 1 then 1 else 0)"; 3 * MAX_NESTING].join(" + ");
    assert!(!too_deep(&format!("{terms} > 3")));
}

/// Only a message's text holds expressions; any other string is text,
/// however many brackets it holds (a survivor of the mutation run: scanning
/// every string as a template went unnoticed).
#[test]
fn brackets_inside_a_plain_string_are_text() {
    let brackets = format!("{{{}}}", "(".repeat(2 * MAX_NESTING));
    assert!(!too_deep(&format!("name == \"{brackets}\"")));
    let policy = format!(
        "policy a.b {{ title \"{brackets}\" subject s rule r {{ when x then e message \"{{{}}}\" }} }}",
        nest("(", "1", ")", MAX_NESTING + 1)
    );
    assert!(matches!(
        parse(SourceId(0), &policy).unwrap_err().as_slice(),
        [ParseError::TooDeep { .. }]
    ));
}

/// The limit is exact: a rule's condition sits inside two braces (the
/// policy's and the rule's), so 62 brackets or `if`s more are the most it
/// holds, and one more is refused, whichever opens the last level (a survivor
/// of the mutation run: the `if`s were counted one too many unnoticed).
#[test]
fn the_nesting_limit_is_exact_for_brackets_and_ifs() {
    let room = MAX_NESTING - 2;
    for (what, open, inner, close) in [
        ("parentheses", "(", "1", ")"),
        ("ifs in values", "if a then ", "1", " else 2"),
        ("ifs in conditions", "if ", "a", " then 1 else 2"),
        ("lists", "[", "1", "]"),
        // A comparison's `>` closes nothing (only `map<`'s does).
        ("comparisons in brackets", "(a > ", "b", ")"),
        // An `if` in the sum an `else` begins nests; only `else if` chains.
        ("ifs after an else", "if a then 1 else 0 + ", "1", ""),
    ] {
        assert!(!too_deep(&nest(open, inner, close, room)), "{what}");
        assert!(too_deep(&nest(open, inner, close, room + 1)), "{what}");
    }
}

/// A message string ends at a line break when its quote is missing: the
/// nesting on the lines after it is still bounded; and an empty
/// interpolation `{}` is read past, not forever (survivors of the mutation
/// run: a template read on past its line, and one re-read at its last byte).
#[test]
fn template_strings_end_at_their_line_and_empty_interpolations_are_read_past() {
    let unterminated = format!(
        "policy a.b {{ subject s rule r {{ when a then e message \"open\n when {} then e }} }}",
        nest("(", "1", ")", 100_000)
    );
    assert!(matches!(
        parse(SourceId(0), &unterminated).unwrap_err().as_slice(),
        [ParseError::TooDeep { .. }]
    ));
    let empty = "policy a.b { subject s rule r { when a then e message \"a {} b\" } }";
    assert!(parse(SourceId(0), empty).is_err());
}

/// `map<` types nest to the same exact limit: a kind's field sits inside one
/// brace, so 63 `map<`s are the most it holds.
#[test]
fn map_types_nest_to_the_exact_limit() {
    let field = |n: usize| format!("kind k {{ f: {} }}", nest("map<string, ", "int", ">", n));
    let deep = |n: usize| matches!(parse(SourceId(0), &field(n)), Err(e) if matches!(e.as_slice(), [ParseError::TooDeep { .. }]));
    assert!(!deep(MAX_NESTING - 1));
    assert!(deep(MAX_NESTING));
}
