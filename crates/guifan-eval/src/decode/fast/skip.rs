//! Values no rule can read (keys the schema does not declare), skipped by
//! a structural scan: checked to be well-formed JSON, nothing built. And a
//! record's own `kind` found by following its nesting alone.
//!
//! Like the rest of the fast path, it accepts only what it is sure the
//! detailed decoder accepts too, and declines the rest (an escape in a
//! string, a number with an exponent or more than 18 digits, nesting past
//! [`MAX_DEPTH`](super::MAX_DEPTH), a repeated undeclared key), which the
//! detailed decoder then reads and, when it must, reports.

use super::{Scan, MAX_DEPTH};

/// Skips one JSON value.
pub(super) fn value(scan: &mut Scan<'_>) -> Option<()> {
    match scan.peek()? {
        b'"' => scan.string().map(drop),
        b't' => scan.word(b"true"),
        b'f' => scan.word(b"false"),
        b'n' => scan.word(b"null"),
        b'-' | b'0'..=b'9' => number(scan),
        b'[' => container(scan, b']', value),
        b'{' => container(scan, b'}', |scan| {
            scan.string()?;
            scan.eat(b':')?;
            value(scan)
        }),
        _ => None,
    }
}

/// An array or an object after its opening byte: `entry` until `close`,
/// separated by commas, one level deeper.
fn container(
    scan: &mut Scan<'_>,
    close: u8,
    entry: impl Fn(&mut Scan<'_>) -> Option<()>,
) -> Option<()> {
    scan.depth += 1;
    if scan.depth > MAX_DEPTH {
        return None;
    }
    scan.at += 1;
    if scan.peek()? == close {
        scan.at += 1;
    } else {
        loop {
            entry(scan)?;
            match scan.peek()? {
                b',' => scan.at += 1,
                b if b == close => {
                    scan.at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    scan.depth -= 1;
    Some(())
}

/// A JSON number without an exponent and with at most 18 digits
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`), which the detailed decoder reads as an
/// integer or a float without error.
fn number(scan: &mut Scan<'_>) -> Option<()> {
    let digits = |scan: &mut Scan<'_>| {
        let start = scan.at;
        while let Some(b'0'..=b'9') = scan.bytes.get(scan.at) {
            scan.at += 1;
        }
        scan.at - start
    };
    if scan.bytes.get(scan.at) == Some(&b'-') {
        scan.at += 1;
    }
    let first = scan.bytes.get(scan.at).copied();
    let int = digits(scan);
    if int == 0 || (int > 1 && first == Some(b'0')) {
        return None;
    }
    let mut fraction = 0;
    if scan.bytes.get(scan.at) == Some(&b'.') {
        scan.at += 1;
        fraction = digits(scan);
        if fraction == 0 {
            return None;
        }
    }
    if int + fraction > 18 {
        return None;
    }
    scan.delimited()
}

/// Whether the undeclared keys of the object just read (the stack's entries
/// from `from` on) are all different; they leave the stack either way.
/// Sorted, then compared with their neighbours: no quadratic cost however
/// many keys an object has.
pub(super) fn no_repeated_keys(scan: &mut Scan<'_>, from: usize) -> Option<()> {
    let bytes = scan.bytes;
    let keys = scan.undeclared.get_mut(from..)?;
    let distinct = keys.len() < 2 || {
        let body = |&(start, end): &(usize, usize)| bytes.get(start..end);
        keys.sort_unstable_by(|a, b| body(a).cmp(&body(b)));
        keys.windows(2).all(|pair| match pair {
            [a, b] => body(a) != body(b),
            _ => true,
        })
    };
    scan.undeclared.truncate(from);
    distinct.then_some(())
}

/// Every key `"kind"` in `text`, at whatever depth (a string followed by a
/// colon is a key), found by a vector search: its value when that is a
/// string without escapes, else `None`.
pub(super) fn kind_keys(text: &str) -> impl Iterator<Item = Option<&str>> {
    memchr::memmem::find_iter(text.as_bytes(), b"\"kind\"").filter_map(move |at| {
        let mut scan = Scan::new(text, at + 6);
        scan.eat(b':').map(|()| scan.string())
    })
}

/// The name a record gives its `kind` when that is the only key `"kind"` in
/// its text (found by a vector search) and nothing in it is escaped: a
/// record has a `kind` of its own, so the only one there is must be it.
/// `None` when there are more, or an escape could spell another.
pub(in crate::decode) fn sole_kind(text: &str) -> Option<&str> {
    if memchr::memchr(b'\\', text.as_bytes()).is_some() {
        return None;
    }
    let mut names = kind_keys(text);
    match (names.next(), names.next()) {
        (Some(name), None) => name,
        _ => None,
    }
}

/// The name a JSON object gives its own `kind` (a key of the object itself,
/// not of one nested in it), found by following only the nesting: strings
/// are skipped whole, nothing else is checked. For glancing at a record's
/// kind wherever it is named; `None` when the scan meets an escape before it,
/// or finds none.
pub(in crate::decode) fn root_kind(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let (mut at, mut depth, mut key_next) = (0, 0usize, false);
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'"' => {
                let start = at + 1;
                let end = start + super::string_end(bytes.get(start..)?)?;
                at = end + 1;
                if depth == 1 && key_next {
                    if text.get(start..end)? == "kind" {
                        let mut scan = Scan::new(text, at);
                        scan.eat(b':')?;
                        return scan.string();
                    }
                    key_next = false;
                }
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                // Only the root's keys matter: its first comes after its
                // opening brace, the others after a comma at its level (in a
                // root that is an array, no string is followed by a colon).
                key_next = depth == 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return None;
                }
            }
            b',' => key_next = depth == 1,
            _ => {}
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::Scan;

    /// Skips the value at the start of `text`: where the scan ends, or `None`.
    fn skipped(text: &str) -> Option<usize> {
        let mut scan = Scan {
            depth: 1,
            ..Scan::new(text, 0)
        };
        super::value(&mut scan)?;
        assert_eq!(scan.depth, 1, "every level opened is closed");
        Some(scan.at)
    }

    #[test]
    fn well_formed_values_are_skipped_whole() {
        for text in [
            r#""小店""#,
            "true",
            "false",
            "null",
            "0",
            "-12",
            "4.8",
            "-0.25",
            "123456789012345678",
            "-1234567890.12345678",
            "[]",
            "{}",
            r#"[1, "a", [true, null], {"b": {}}]"#,
            r#"{"province": "浙江", "zip": 310000, "tags": ["x"]}"#,
        ] {
            assert_eq!(skipped(text), Some(text.len()), "{text}");
        }
        assert_eq!(
            skipped(r#"[1,2], "next": 3"#),
            Some(5),
            "stops after the value"
        );
    }

    #[test]
    fn what_the_detailed_decoder_must_judge_is_declined() {
        for text in [
            // Malformed
            "tru",
            "nul",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":}",
            "{1: 2}",
            "[",
            "{\"a\": 1",
            "01",
            "1.",
            ".5",
            "-",
            "+1",
            "1a",
            // Well-formed, but left to the detailed decoder
            r#""a\"b""#,
            "1e5",
            "1E5",
            "1234567890123456789",
            "0.1234567890123456789",
        ] {
            assert_eq!(skipped(text), None, "{text}");
        }
    }

    #[test]
    fn nesting_is_declined_past_the_limit() {
        let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        // The scan starts one level down (the record's root).
        assert!(skipped(&nested(super::MAX_DEPTH - 1)).is_some());
        assert_eq!(skipped(&nested(super::MAX_DEPTH)), None);
        assert_eq!(skipped(&nested(100_000)), None, "no deep recursion");
    }

    #[test]
    fn the_root_kind_is_found_wherever_it_is_named() {
        for (text, kind) in [
            (r#"{"kind":"a","id":"1"}"#, Some("a")),
            (r#"{ "id" : "1" , "kind" : "a" }"#, Some("a")),
            (
                r#"{"x":{"kind":"b"},"y":[{"kind":"c"}],"kind":"a"}"#,
                Some("a"),
            ),
            (r#"{"x":"kind","kind":"a"}"#, Some("a")),
            (r#"{"x":["kind","a"],"kind":"a"}"#, Some("a")),
            (r#"{"x":"\"kind\":\"b\"","kind":"a"}"#, None),
            (r#"{"x":{"kind":"b"}}"#, None),
            (r#"{"kind":7}"#, None),
            ("[]", None),
            (r#"["kind",{"kind":"a"}]"#, None),
            ("", None),
            ("}}", None),
        ] {
            assert_eq!(super::root_kind(text), kind, "{text}");
        }
    }

    #[test]
    fn a_sole_kind_key_is_found_by_searching() {
        for (text, kind) in [
            (r#"{"id":"1","kind":"a"}"#, Some("a")),
            (r#"{"id":"kind","x":["kind"],"kind" : "a"}"#, Some("a")),
            (r#"{"x":{"kind":"b"},"kind":"a"}"#, None),
            (r#"{"x":{"kind":"b"},"kin\u0064":"a"}"#, None),
            (r#"{"kind":7}"#, None),
            (r#"{"id":"1"}"#, None),
        ] {
            assert_eq!(super::sole_kind(text), kind, "{text}");
        }
    }

    #[test]
    fn repeated_undeclared_keys_are_found_whatever_their_order() {
        let check = |text: &str, keys: &[&str]| {
            let mut scan = Scan {
                undeclared: vec![(0, 0)],
                ..Scan::new(text, 0)
            };
            for key in keys {
                let start = text.find(key).unwrap_or(0);
                scan.undeclared.push((start, start + key.len()));
            }
            let result = super::no_repeated_keys(&mut scan, 1);
            assert_eq!(
                scan.undeclared,
                vec![(0, 0)],
                "only this object's keys leave"
            );
            result.is_some()
        };
        let text = "alpha beta gamma beta";
        assert!(check(text, &["alpha", "beta", "gamma"]));
        assert!(check(text, &[]));
        assert!(check(text, &["gamma"]));
        // The second `beta` is found at its own place: a repeat.
        let mut scan_keys = vec![(0, 5), (6, 10), (11, 16), (17, 21)];
        scan_keys.rotate_left(1);
        let mut scan = Scan {
            undeclared: scan_keys,
            ..Scan::new(text, 0)
        };
        assert_eq!(super::no_repeated_keys(&mut scan, 0), None);
        assert!(scan.undeclared.is_empty());
    }
}
