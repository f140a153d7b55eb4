//! `guifan fmt` on any text: a file that parses formats to text that parses
//! to the same tree (comments included), and formatting again changes nothing.
//! Recovery on files that do not parse never panics.
#![no_main]

use guifan_syntax::{parse_recovering, same_ignoring_spans, SourceId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
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
});
