//! Pre-escaped JSON for the strings of a rule set (rule IDs, effect kinds,
//! constant arguments and messages), so that writing a decision copies them
//! instead of escaping them again for every record.

use std::sync::Arc;

use guifan_eval::{Message, Program, Value};
use rustc_hash::FxHashMap;
use serde_json::value::RawValue;

/// JSON texts of shared strings, keyed by the address of their `Arc<str>`.
#[derive(Debug, Default)]
pub struct JsonCache {
    texts: FxHashMap<usize, Box<RawValue>>,
}

fn key(s: &Arc<str>) -> usize {
    Arc::as_ptr(s) as *const u8 as usize
}

impl JsonCache {
    /// Collects every shared string of the program.
    pub fn new(program: &Program) -> Self {
        let mut cache = JsonCache::default();
        for policy in &program.policies {
            for rule in &policy.rules {
                cache.add(&rule.id);
                for version in &rule.versions {
                    if let Some(label) = &version.label {
                        cache.add(label);
                    }
                    if let Some(Message::Constant(text)) = &version.message {
                        cache.add(text);
                    }
                    for effect in &version.effects {
                        cache.add(&effect.kind);
                        for (_, value) in effect.constant.iter().flat_map(|args| args.iter()) {
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

    fn add(&mut self, s: &Arc<str>) {
        if let Ok(json) = serde_json::to_string(&**s) {
            if let Ok(raw) = RawValue::from_string(json) {
                self.texts.insert(key(s), raw);
            }
        }
    }

    /// The pre-escaped JSON of a shared string, if it is one of the rule set's.
    pub fn get(&self, s: &Arc<str>) -> Option<&RawValue> {
        self.texts.get(&key(s)).map(|b| &**b)
    }
}
