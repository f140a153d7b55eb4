//! Decision records as JSON Lines, written straight into the output bytes as
//! the evaluator makes each decision ([`guifan_eval::Sink`]): each version's
//! opening and each effect with constant arguments copied whole from the rule
//! set's pre-rendered fragments, shared strings from their pre-escaped JSON,
//! nothing shared cloned. The bytes are exactly those of serialising the
//! subject's [`guifan_eval::Outcome`] compactly (the `--format json` element,
//! [`crate::render::json_element`], without its layout), which a test holds
//! them to.

use std::sync::Arc;

use guifan_eval::{JsonValue, Made, MadeMessage, RuleError, Sink, Subject, Value};

use crate::json_cache::JsonCache;

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
fn text(s: &Arc<str>, cache: Option<&JsonCache>, out: &mut Vec<u8>) -> serde_json::Result<()> {
    match cache.and_then(|c| c.get(s)) {
        Some(raw) => {
            out.extend_from_slice(raw.get().as_bytes());
            Ok(())
        }
        None => serde_json::to_writer(&mut *out, &**s),
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
                let _ = text(&made.rule.id, Some(cache), out);
                if let Some(label) = &made.version.label {
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
                    let _ = effect_json(&effect.template.kind, effect.args(), Some(cache), out);
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
