//! `guifan fmt` on any text: a file that parses formats to text that parses
//! to the same tree (comments included), and formatting again changes nothing.
//! Recovery on files that do not parse never panics.
//!
//! Each input that parses is also tried with comments (ASCII and CJK, on
//! their own lines and after code) and trailing spaces put in at white-space
//! positions the input's own bytes choose, so the corpus of real policies is
//! explored with comments anywhere, not only where their authors wrote them.
#![no_main]

use guifan_syntax::{parse_recovering, same_ignoring_spans, SourceId};
use libfuzzer_sys::fuzz_target;

/// What is put in at a chosen position.
const INSERTS: [&str; 6] = [
    "// c\n",
    " // 中文注释：备注\n",
    "\n// own line\n",
    "   ",
    "\n\n// after a blank line\n",
    "\t// tab\n",
];

/// Formats `text` (which parses) and checks the round trip.
fn round_trip(text: &str) {
    let (file, errors) = parse_recovering(SourceId(0), text);
    if !errors.is_empty() {
        return;
    }
    let once = guifan_fmt::format_file(&file, text);
    let (again, errors) = parse_recovering(SourceId(0), &once);
    assert!(errors.is_empty(), "formatted text does not parse: {errors:?}\n{once}");
    assert!(same_ignoring_spans(&file, &again), "the tree changed:\n{once}");
    let twice = guifan_fmt::format_file(&again, &once);
    assert_eq!(once, twice, "formatting is not idempotent");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (_, errors) = parse_recovering(SourceId(0), text);
    if !errors.is_empty() {
        return;
    }
    round_trip(text);
    // Positions after white space, chosen by the input's bytes.
    let positions: Vec<usize> = text
        .char_indices()
        .filter(|(_, c)| c.is_whitespace())
        .map(|(i, c)| i + c.len_utf8())
        .collect();
    if positions.is_empty() {
        return;
    }
    let mut state = data
        .iter()
        .fold(0x9E37_79B9_7F4A_7C15u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x1000_0000_01B3));
    let mut picks = Vec::with_capacity(4);
    for _ in 0..4 {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let pick = (state >> 33) as usize;
        if let Some(&at) = positions.get(pick % positions.len()) {
            picks.push((at, INSERTS[(pick / positions.len()) % INSERTS.len()]));
        }
    }
    // Into the original text one at a time, then all together (from the
    // last position back, so the earlier ones stay where they were).
    for (at, insert) in &picks {
        if let (Some(head), Some(tail)) = (text.get(..*at), text.get(*at..)) {
            round_trip(&format!("{head}{insert}{tail}"));
        }
    }
    picks.sort_by(|a, b| b.0.cmp(&a.0));
    let mut variant = text.to_string();
    for (at, insert) in picks {
        variant.insert_str(at, insert);
    }
    round_trip(&variant);
});
