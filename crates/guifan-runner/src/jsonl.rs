//! Decision records as JSON Lines, written straight into the output bytes as
//! the evaluator makes each decision ([`guifan_eval::Sink`]): each version's
//! opening and each effect with constant arguments copied whole from the rule
//! set's pre-rendered fragments, shared strings from their pre-escaped JSON,
//! nothing shared cloned. The bytes are exactly those of serialising the
//! subject's [`guifan_eval::Outcome`] compactly (the `--format json` element,
//! [`crate::render::json_element`], without its layout), which a test holds
//! them to.
//!
//! [`JsonCache`] holds pre-escaped JSON for the strings of a rule set (rule
//! IDs, effect kinds, constant arguments and messages), and whole fragments
//! of decisions (each version's opening, each effect with constant
//! arguments), so that writing a decision copies them instead of escaping
//! them again for every record.

use std::sync::Arc;

use guifan_eval::{
    EffectTemplate, JsonValue, Made, MadeMessage, Message, Program, RuleError, Sink, Subject,
    Value, Version,
};
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
                serde_json::to_writer(&mut *out, &**name)?;
                out.push(b':');
                text(s, cache, out)?;
            }
            other => {
                out.push(b',');
                serde_json::to_writer(&mut *out, &**name)?;
                out.push(b':');
                serde_json::to_writer(&mut *out, &JsonValue(other))?;
            }
        }
    }
    out.push(b'}');
    Ok(())
}

/// A string as JSON: its pre-escaped text when the rule set has it.
fn text(s: &str, cache: Option<&JsonCache>, out: &mut Vec<u8>) -> serde_json::Result<()> {
    match cache.and_then(|c| c.get(s)) {
        Some(raw) => {
            out.extend_from_slice(raw.get().as_bytes());
            Ok(())
        }
        None => serde_json::to_writer(&mut *out, s),
    }
}

/// Writes the decisions of one subject as they are made, and keeps its failures.
pub(crate) struct JsonlWriter<'o> {
    cache: &'o JsonCache,
    out: &'o mut Vec<u8>,
    /// Decisions written so far
    pub decisions: usize,
    /// Rules that failed
    pub errors: Vec<RuleError>,
}

impl<'o> JsonlWriter<'o> {
    /// Opens the record of `subject` (of kind `kind`) in `out`.
    pub fn open(cache: &'o JsonCache, out: &'o mut Vec<u8>, subject: &Subject, kind: &str) -> Self {
        out.extend_from_slice(b"{\"subject\":");
        let _ = serde_json::to_writer(&mut *out, &*subject.id);
        out.extend_from_slice(b",\"kind\":");
        let _ = serde_json::to_writer(&mut *out, kind);
        out.extend_from_slice(b",\"decisions\":[");
        JsonlWriter {
            cache,
            out,
            decisions: 0,
            errors: Vec::new(),
        }
    }

    /// Closes the record: its failures, written by `errors`, when it has any.
    pub fn close(self, errors: impl FnOnce(&[RuleError], &mut Vec<u8>)) -> Vec<RuleError> {
        self.out.push(b']');
        if !self.errors.is_empty() {
            self.out.extend_from_slice(b",\"errors\":");
            errors(&self.errors, self.out);
        }
        self.out.extend_from_slice(b"}\n");
        self.errors
    }
}

impl<'p> Sink<'p> for JsonlWriter<'_> {
    fn decision(&mut self, made: &Made<'p, '_>) {
        let (out, cache) = (&mut *self.out, self.cache);
        if self.decisions > 0 {
            out.push(b',');
        }
        self.decisions += 1;
        match cache.head(made.version) {
            Some(head) => out.extend_from_slice(head),
            None => {
                out.extend_from_slice(b"{\"rule\":");
                let _ = text(made.rule.id(), Some(cache), out);
                if let Some(label) = made.version.label() {
                    out.extend_from_slice(b",\"version\":");
                    let _ = text(label, Some(cache), out);
                }
                out.extend_from_slice(b",\"effects\":[");
            }
        }
        for (i, effect) in made.effects().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match cache.effect(effect.template) {
                Some(json) => out.extend_from_slice(json),
                None => {
                    let _ = effect_json(effect.template.kind(), effect.args(), Some(cache), out);
                }
            }
        }
        out.push(b']');
        if let Some(message) = made.message {
            out.extend_from_slice(b",\"message\":");
            let _ = match message {
                MadeMessage::Constant(t) => text(t, Some(cache), out),
                MadeMessage::Rendered(t) => serde_json::to_writer(&mut *out, t),
            };
        }
        out.push(b'}');
    }

    fn error(&mut self, error: RuleError) {
        self.errors.push(error);
    }
}

/// JSON texts of the program's strings, keyed by where their text lies.
#[derive(Debug, Default)]
pub struct JsonCache {
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
    pub fn new(program: &Program) -> Self {
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

    /// `{"rule":...,"version":...,"effects":[` of a version of the rule set.
    pub fn head(&self, version: &Version) -> Option<&[u8]> {
        self.heads
            .get(&(std::ptr::from_ref(version) as usize))
            .map(|b| &**b)
    }

    /// The whole JSON of an effect of the rule set whose arguments are constant.
    pub fn effect(&self, effect: &EffectTemplate) -> Option<&[u8]> {
        self.effects
            .get(&(std::ptr::from_ref(effect) as usize))
            .map(|b| &**b)
    }

    /// The pre-escaped JSON of a shared string, if it is one of the rule set's.
    pub fn get(&self, s: &str) -> Option<&RawValue> {
        self.texts.get(&key(s)).map(|b| &**b)
    }
}
