//! A program's decision fragments as JSON, made once per program: the
//! pre-escaped text of its shared strings (rule IDs, labels, effect kinds,
//! constant arguments and messages), each version's opening and each effect
//! whose arguments are constant, written whole. The decision writer
//! (`decision_json.rs`) copies them instead of escaping them again for every
//! record. A [`RuleSet`](crate::RuleSet) keeps its program's cache with the
//! program (fragments are found by the address of the program's strings,
//! versions and effects, so they are never looked up in another program).

use std::sync::Arc;

use guifan_eval::{EffectTemplate, JsonValue, Message, Program, Value, Version};
use rustc_hash::FxHashMap;
use serde_json::value::RawValue;

/// Writes `{"kind":...,"name":value,...}` of an effect (absent arguments left out).
pub(crate) fn effect_json<'v>(
    kind: &Arc<str>,
    args: impl Iterator<Item = (&'v Arc<str>, &'v Value)>,
    cache: Option<&JsonCache>,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"kind\":");
    text(kind, cache, out)?;
    for (name, value) in args {
        match value {
            Value::Absent => continue,
            Value::Str(s) => {
                out.push(b',');
                string(name, out);
                out.push(b':');
                text(s, cache, out)?;
            }
            other => {
                out.push(b',');
                string(name, out);
                out.push(b':');
                serde_json::to_writer(&mut *out, &JsonValue(other))?;
            }
        }
    }
    out.push(b'}');
    Ok(())
}

/// A string as JSON: its pre-escaped text when the rule set has it.
pub(crate) fn text(
    s: &str,
    cache: Option<&JsonCache>,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    match cache.and_then(|c| c.get(s)) {
        Some(raw) => {
            out.extend_from_slice(raw.get().as_bytes());
            Ok(())
        }
        None => {
            string(s, out);
            Ok(())
        }
    }
}

/// Writes `s` as a JSON string, the bytes `serde_json` writes: copied whole
/// between quotes when nothing in it needs escaping (the usual case: IDs,
/// messages in Chinese), else escaped by `serde_json`.
pub(crate) fn string(s: &str, out: &mut Vec<u8>) {
    // Looked for without stopping early, so that the loop is vectorised.
    let needs_escape = s.bytes().fold(false, |seen, b| {
        seen | matches!(b, 0x00..=0x1f | b'"' | b'\\')
    });
    if needs_escape {
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// JSON texts of a program's strings, keyed by where their text lies, and
/// whole fragments of its decisions.
#[derive(Debug, Default)]
pub(crate) struct JsonCache {
    texts: FxHashMap<(usize, usize), Box<RawValue>>,
    /// `{"rule":...,"version":...,"effects":[` of each version, keyed by its address
    heads: FxHashMap<usize, Box<[u8]>>,
    /// The whole JSON of each effect whose arguments are constant, keyed by its address
    effects: FxHashMap<usize, Box<[u8]>>,
}

/// Where a string's text lies, and its length: the same for every clone of a
/// shared string of the program, and for no other string while the program
/// lives (text held inline in a value has its own address; the length tells
/// apart the static whitespace strings that start at one address).
fn key(s: &str) -> (usize, usize) {
    (s.as_ptr() as usize, s.len())
}

impl JsonCache {
    /// Collects every shared string of the program.
    pub(crate) fn new(program: &Program) -> Self {
        let mut cache = JsonCache::default();
        for policy in program.policies() {
            for rule in policy.rules() {
                cache.add(rule.id());
                for version in rule.versions() {
                    if let Some(label) = version.label() {
                        cache.add(label);
                    }
                    if let Some(Message::Constant(text)) = version.message() {
                        cache.add(text);
                    }
                    cache.add_head(rule.id(), version);
                    for effect in version.effects() {
                        cache.add_effect(effect);
                        cache.add(effect.kind());
                        for (_, value) in effect.constant().iter().flat_map(|args| args.iter()) {
                            if let Value::Str(text) = value {
                                cache.add(text);
                            }
                        }
                    }
                }
            }
        }
        cache
    }

    fn add(&mut self, s: &str) {
        if let Ok(json) = serde_json::to_string(s) {
            if let Ok(raw) = RawValue::from_string(json) {
                self.texts.insert(key(s), raw);
            }
        }
    }

    fn add_head(&mut self, rule: &Arc<str>, version: &Version) {
        let mut head = b"{\"rule\":".to_vec();
        let mut fine = serde_json::to_writer(&mut head, &**rule).is_ok();
        if let Some(label) = version.label() {
            head.extend_from_slice(b",\"version\":");
            fine &= serde_json::to_writer(&mut head, &**label).is_ok();
        }
        head.extend_from_slice(b",\"effects\":[");
        if fine {
            self.heads
                .insert(std::ptr::from_ref(version) as usize, head.into());
        }
    }

    fn add_effect(&mut self, effect: &EffectTemplate) {
        let Some(args) = effect.constant() else {
            return;
        };
        let mut json = Vec::new();
        if effect_json(
            effect.kind(),
            args.iter().map(|(n, v)| (n, v)),
            None,
            &mut json,
        )
        .is_ok()
        {
            self.effects
                .insert(std::ptr::from_ref(effect) as usize, json.into());
        }
    }

    /// `{"rule":...,"version":...,"effects":[` of a version of the program.
    pub(crate) fn head(&self, version: &Version) -> Option<&[u8]> {
        self.heads
            .get(&(std::ptr::from_ref(version) as usize))
            .map(|b| &**b)
    }

    /// The whole JSON of an effect of the program whose arguments are constant.
    pub(crate) fn effect(&self, effect: &EffectTemplate) -> Option<&[u8]> {
        self.effects
            .get(&(std::ptr::from_ref(effect) as usize))
            .map(|b| &**b)
    }

    /// The pre-escaped JSON of a shared string, if it is one of the program's.
    pub(crate) fn get(&self, s: &str) -> Option<&RawValue> {
        self.texts.get(&key(s)).map(|b| &**b)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use proptest::prelude::*;

    use super::string;

    fn written(s: &str) -> String {
        let mut out = Vec::new();
        string(s, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_written_as_serde_writes_them() {
        for s in [
            "",
            "dy-e1",
            "在线商品 101 件, 上限 100 件",
            "a\"b",
            "back\\slash",
            "line\nend",
            "\u{1}\u{1f}\u{7f} /",
            "tab\there",
        ] {
            assert_eq!(written(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn the_cache_holds_each_versions_opening_constant_effects_and_shared_strings() {
        let rules = crate::RuleSet::from_sources([(
            "p.policy",
            r#"kind k { n: int } effect e(level: int?, note: string?)
               policy a.b { subject k zone UTC
                 rule r "规则" { version "v1" from 2023-01-01 { when n > 1 then e(level: 1, note: "固定"), e(level: n) message "常量 \"引号\"" } }
               }"#,
        )])
        .unwrap();
        let program = rules.program();
        let cache = super::JsonCache::new(program);
        let rule = &program.policies()[0].rules()[0];
        let version = &rule.versions()[0];
        assert_eq!(
            cache.head(version),
            Some(&br#"{"rule":"a.b.r","version":"v1","effects":["#[..])
        );
        let [constant, computed] = version.effects() else {
            panic!("two effects")
        };
        assert_eq!(
            cache.effect(constant),
            Some(r#"{"kind":"e","level":1,"note":"固定"}"#.as_bytes())
        );
        assert_eq!(cache.effect(computed), None);
        assert_eq!(
            cache.get(rule.id()).map(|raw| raw.get()),
            Some(r#""a.b.r""#)
        );
        let Some(guifan_eval::Message::Constant(message)) = version.message() else {
            panic!("a constant message")
        };
        assert_eq!(
            cache.get(message).map(|raw| raw.get()),
            Some(r#""常量 \"引号\"""#)
        );
        // Found by where the program's text lies, not by what it says.
        let copy = String::from(&**rule.id());
        assert!(cache.get(&copy).is_none());
    }

    proptest! {
        #[test]
        fn any_string_is_written_as_serde_writes_it(s in any::<String>()) {
            prop_assert_eq!(written(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn any_ascii_string_is_written_as_serde_writes_it(s in "[\\x00-\\x7f]{0,40}") {
            prop_assert_eq!(written(&s), serde_json::to_string(&s).unwrap());
        }
    }
}
