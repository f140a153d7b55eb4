//! The built-in functions as docs/language.md describes them: a signature, a
//! sentence, and a snippet to insert, for hover and completion.

/// One built-in function, documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinDoc {
    /// Its name
    pub name: &'static str,
    /// How it is called, with its argument and result types
    pub signature: &'static str,
    /// What it gives
    pub doc: &'static str,
    /// What completion inserts (LSP snippet syntax: `$1` the first place to type)
    pub snippet: &'static str,
}

const fn doc(
    name: &'static str,
    signature: &'static str,
    doc: &'static str,
    snippet: &'static str,
) -> BuiltinDoc {
    BuiltinDoc {
        name,
        signature,
        doc,
        snippet,
    }
}

/// Every built-in function and aggregate, by name.
pub const BUILTINS: &[BuiltinDoc] = &[
    doc("date", "date(t: timestamp) -> date", "The local date of a timestamp, in the policy's zone.", "date(${1:t})"),
    doc("month", "month(t: timestamp | date) -> date", "The first day of the local calendar month (compare `month(a) == month(now)`).", "month(${1:t})"),
    doc("year", "year(t: timestamp | date) -> int", "The local calendar year.", "year(${1:t})"),
    doc("time", "time(t: timestamp) -> time", "The local time of day.", "time(${1:t})"),
    doc("weekday", "weekday(t: timestamp | date) -> int", "1 (Monday) … 7 (Sunday), in the policy's zone.", "weekday(${1:t})"),
    doc("week", "week(t: timestamp | date, day: \"monday\" … \"sunday\") -> date", "The local date the week holding `t` starts on, for weeks starting on the weekday named (in full).", "week(${1:t}, \"${2:monday}\")"),
    doc("start_of_day", "start_of_day(d: date) -> timestamp", "The instant a local date begins (where midnight is skipped by a clock change, the instant the clocks jump).", "start_of_day(${1:d})"),
    doc("starts_with", "starts_with(s: string, prefix: string) -> bool", "Whether `s` starts with `prefix`.", "starts_with(${1:s}, \"${2}\")"),
    doc("ends_with", "ends_with(s: string, suffix: string) -> bool", "Whether `s` ends with `suffix`.", "ends_with(${1:s}, \"${2}\")"),
    doc("contains", "contains(s: string, part: string) -> bool\ncontains(list: [T], item: T) -> bool", "Whether a string holds a part, or a list an item.", "contains(${1:xs}, ${2:x})"),
    doc("lower", "lower(s: string) -> string", "Lower case (Unicode: `ВБ` → `вб`); compare case-blind with `contains(lower(text), word)`.", "lower(${1:s})"),
    doc("upper", "upper(s: string) -> string", "Upper case (Unicode).", "upper(${1:s})"),
    doc("trim", "trim(s: string) -> string", "`s` without white space around it.", "trim(${1:s})"),
    doc("len", "len(s: string | [T] | map<K, V>) -> int", "The characters of a string, or the items of a list or map.", "len(${1:xs})"),
    doc("words", "words(s: string) -> int", "The number of words: runs of letters and digits (joined by `-` or `'` inside a word).", "words(${1:s})"),
    doc("matches", "matches(s: string, pattern: string | param) -> bool", "Whether a regular expression (`regex` crate syntax) matches; a parameter may hold one pattern or a list, compiled when the rules load.", "matches(${1:s}, \"${2:pattern}\")"),
    doc("abs", "abs(x: number | money | percent | duration) -> same", "The absolute value.", "abs(${1:x})"),
    doc("round", "round(x: number | money | percent, places: int) -> same", "`x` to `places` decimal places (0 to 28), halves away from zero (四舍五入); a percent rounds its figure.", "round(${1:x}, ${2:2})"),
    doc("percent", "percent(x: int | decimal) -> percent", "A number as the percent it is: `percent(0.2166)` is `21.66%`.", "percent(${1:x})"),
    doc("tier", "tier(n: int, tiers: [T]) -> T", "A ladder: the `n`th item of `tiers` counting from 1, the last one for any `n` beyond; `n` below 1 is an error of the rule.", "tier(${1:n}, ${2:tiers})"),
    doc("sort", "sort(xs: [T]) -> [T]", "The items in ascending order.", "sort(${1:xs})"),
    doc("nth", "nth(xs: [T], n: int) -> T?", "The `n`th item, counting from 1; absent beyond the list.", "nth(${1:xs}, ${2:1})"),
    doc("any", "any(x in xs where cond) -> bool", "Whether some item satisfies the condition.", "any(${1:x} in ${2:xs} where ${3:cond})"),
    doc("all", "all(x in xs where cond) -> bool", "Whether every item satisfies the condition.", "all(${1:x} in ${2:xs} where ${3:cond})"),
    doc("count", "count(x in xs where cond) -> int\ncount(xs) -> int", "How many items satisfy the condition (or how many there are).", "count(${1:x} in ${2:xs} where ${3:cond})"),
    doc("sum", "sum(v for x in xs where cond) -> number | money | duration\nsum(xs)", "The total; zero of its type for no items (`0 CNY` for money).", "sum(${1:v} for ${2:x} in ${3:xs})"),
    doc("min", "min(v for x in xs where cond) -> T?\nmin(a, b, …) -> T", "The smallest item (absent for no items), or of the arguments.", "min(${1:v} for ${2:x} in ${3:xs})"),
    doc("max", "max(v for x in xs where cond) -> T?\nmax(a, b, …) -> T", "The largest item (absent for no items), or of the arguments.", "max(${1:v} for ${2:x} in ${3:xs})"),
    doc("filter", "filter(x in xs where cond) -> [T]", "The items that satisfy the condition.", "filter(${1:x} in ${2:xs} where ${3:cond})"),
    doc("map", "map(v for x in xs where cond) -> [V]", "The value computed for each item.", "map(${1:v} for ${2:x} in ${3:xs})"),
    doc("distinct", "distinct(v for x in xs where cond) -> [V]", "The values without repeats, in first-seen order.", "distinct(${1:v} for ${2:x} in ${3:xs})"),
];

/// The documentation of a built-in function.
pub fn builtin_doc(name: &str) -> Option<&'static BuiltinDoc> {
    BUILTINS.iter().find(|b| b.name == name)
}
