//! Pre-escaped JSON for the strings of a rule set (rule IDs, effect kinds,
//! constant arguments and messages), and whole fragments of decisions (each
//! version's opening, each effect with constant arguments), so that writing a
//! decision copies them instead of escaping them again for every record.

use std::sync::Arc;

use guifan_eval::{EffectTemplate, Message, Program, Value, Version};
use rustc_hash::FxHashMap;
use serde_json::value::RawValue;

/// JSON texts of shared strings, keyed by the address of their `Arc<str>`.
#[derive(Debug, Default)]
pub struct JsonCache {
    texts: FxHashMap<usize, Box<RawValue>>,
    /// `{"rule":...,"version":...,"effects":[` of each version, keyed by its address
    heads: FxHashMap<usize, Box<[u8]>>,
    /// The whole JSON of each effect whose arguments are constant, keyed by its address
    effects: FxHashMap<usize, Box<[u8]>>,
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
                    cache.add_head(&rule.id, version);
                    for effect in &version.effects {
                        cache.add_effect(effect);
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

    fn add_head(&mut self, rule: &Arc<str>, version: &Version) {
        let mut head = b"{\"rule\":".to_vec();
        let mut fine = serde_json::to_writer(&mut head, &**rule).is_ok();
        if let Some(label) = &version.label {
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
        let Some(args) = &effect.constant else { return };
        let mut json = Vec::new();
        if crate::jsonl::effect_json(
            &effect.kind,
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
    pub fn get(&self, s: &Arc<str>) -> Option<&RawValue> {
        self.texts.get(&key(s)).map(|b| &**b)
    }
}
