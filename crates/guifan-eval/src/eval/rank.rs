//! Population ranking: a subject's place among all the subjects of its kind in
//! the input (`rank daily by gmv where eligible` in a policy).
//!
//! Ranking takes two passes over the input. The first computes, for each
//! record, only its ranking keys ([`rank_keys`]: the policy, the ranking, the
//! subject's ID, its partition and its score), never keeping the record; the
//! places follow from the keys ([`Ranks::from_keys`]: highest score first,
//! ties by ID ascending, each partition apart). The second pass evaluates
//! every record with its places ([`crate::evaluate_with_ranks`]). A host that
//! computed the places elsewhere (a SQL window function) fills a [`Ranks`]
//! with [`Ranks::set`] and skips the first pass.
//!
//! Cost: one extra decode and evaluation of the rankings' expressions per
//! record, memory for one key per ranked subject (its ID, partition and
//! score: tens of bytes), and a sort of each ranking's keys, O(n log n).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use super::frame::Frame;
use super::{RuleError, Watch};
use crate::error::EvalError;
use crate::ir::Program;
use crate::value::{Subject, Text, Value};

/// What one subject contributes to one ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct RankKey {
    /// The policy's ID
    pub policy: Arc<str>,
    /// The ranking's index among the policy's `rank` declarations
    pub ranking: usize,
    /// The subject's ID
    pub id: Text,
    /// The value of `per` (absent without one)
    pub partition: Value,
    /// The score
    pub score: Value,
}

/// The keys a subject contributes to its policies' rankings, and the errors
/// met computing them (reported as errors of `<policy>.<ranking>`).
pub fn rank_keys(
    program: &Program,
    subject: &Subject,
    now: DateTime<FixedOffset>,
) -> (Vec<RankKey>, Vec<RuleError>) {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    rank_keys_of(program, subject, now, &mut keys, &mut errors, None);
    (keys, errors)
}

/// [`rank_keys`], telling `tracer` the comparisons of the rankings'
/// filters and scores (each policy announced by `policy_start`), for
/// coverage and explanations of the first pass.
pub fn rank_keys_traced<'a>(
    program: &'a Program,
    subject: &'a Subject,
    now: DateTime<FixedOffset>,
    tracer: &'a std::cell::RefCell<dyn crate::Tracer + 'a>,
) -> (Vec<RankKey>, Vec<RuleError>) {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    rank_keys_of(program, subject, now, &mut keys, &mut errors, Some(tracer));
    (keys, errors)
}

/// Places in rankings: by policy ID, ranking and subject ID.
#[derive(Clone, Debug, Default)]
pub struct Ranks {
    places: HashMap<Arc<str>, Vec<HashMap<Text, i64>>>,
}

impl Ranks {
    /// The places that keys give: in each (policy, ranking, partition), the
    /// highest score is 1, ties ordered by subject ID ascending.
    pub fn from_keys(mut keys: Vec<RankKey>) -> Ranks {
        keys.sort_by(|a, b| {
            (&a.policy, a.ranking)
                .cmp(&(&b.policy, b.ranking))
                .then_with(|| a.partition.total_cmp(&b.partition))
                .then_with(|| b.score.total_cmp(&a.score))
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut ranks = Ranks::default();
        let mut place = 0i64;
        let mut previous: Option<(Arc<str>, usize, Value)> = None;
        for key in keys {
            let same_group = previous.as_ref().is_some_and(|(p, r, part)| {
                *p == key.policy && *r == key.ranking && part.total_cmp(&key.partition).is_eq()
            });
            place = if same_group { place + 1 } else { 1 };
            ranks.set(&key.policy, key.ranking, key.id, place);
            previous = Some((key.policy, key.ranking, key.partition));
        }
        ranks
    }

    /// Sets a subject's place in a ranking (for hosts that rank elsewhere).
    pub fn set(&mut self, policy: &str, ranking: usize, id: impl Into<Text>, place: i64) {
        // The policy's ID is copied once, with its first place, not at every one.
        if !self.places.contains_key(policy) {
            self.places.insert(Arc::from(policy), Vec::new());
        }
        let Some(rankings) = self.places.get_mut(policy) else {
            return;
        };
        if rankings.len() <= ranking {
            rankings.resize_with(ranking + 1, HashMap::new);
        }
        if let Some(r) = rankings.get_mut(ranking) {
            r.insert(id.into(), place);
        }
    }

    /// A subject's place in a ranking; `None` when it was not ranked.
    pub fn place(&self, policy: &str, ranking: usize, id: &str) -> Option<i64> {
        self.places.get(policy)?.get(ranking)?.get(id).copied()
    }

    /// How many subjects have a place, over every ranking.
    pub fn len(&self) -> usize {
        self.places.values().flatten().map(HashMap::len).sum()
    }

    /// Whether no subject has a place.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The keys one subject contributes to its policies' rankings: for each
/// policy of its kind whose filter holds, each ranking whose `where` holds,
/// its partition and score. Failures are reported as errors of the ranking.
fn rank_keys_of<'a>(
    program: &'a Program,
    subject: &'a Subject,
    now: DateTime<FixedOffset>,
    keys: &mut Vec<RankKey>,
    errors: &mut Vec<RuleError>,
    tracer: Watch<'a>,
) {
    for policy in program.policies_for(subject.kind) {
        if policy.rankings.is_empty() || policy.kind != subject.kind {
            continue;
        }
        if let Some(t) = tracer {
            t.borrow_mut().policy_start(&policy.id);
        }
        let mut frame = Frame::for_policy(policy, subject, now);
        frame.tracer = tracer;
        let fail = |errors: &mut Vec<RuleError>, name: &str, error: EvalError| {
            errors.push(RuleError {
                rule: if name.is_empty() {
                    policy.id.clone()
                } else {
                    Arc::from(format!("{}.{name}", policy.id))
                },
                source_id: policy.source_id,
                error,
            })
        };
        if let Some(filter) = &policy.filter {
            match frame.eval_bool(filter) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    fail(errors, "", *e);
                    continue;
                }
            }
        }
        for (j, ranking) in policy.rankings.iter().enumerate() {
            let ranked = match &ranking.filter {
                Some(f) => frame.eval_bool(f),
                None => Ok(true),
            };
            let key = ranked.and_then(|ranked| {
                if !ranked {
                    return Ok(None);
                }
                let score = frame.eval(&ranking.score)?.into_owned();
                let partition = match &ranking.per {
                    Some(p) => frame.eval(p)?.into_owned(),
                    None => Value::Absent,
                };
                Ok(Some((partition, score)))
            });
            match key {
                Ok(Some((partition, score))) => keys.push(RankKey {
                    policy: policy.id.clone(),
                    ranking: j,
                    id: subject.id.clone(),
                    partition,
                    score,
                }),
                Ok(None) => {}
                Err(e) => fail(errors, &ranking.name, *e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, partition: &str, score: i64) -> RankKey {
        RankKey {
            policy: Arc::from("p.q"),
            ranking: 0,
            id: Text::new(id),
            partition: Value::str(partition),
            score: Value::Int(score),
        }
    }

    #[test]
    fn highest_first_ties_by_id_each_partition_apart() {
        let ranks = Ranks::from_keys(vec![
            key("b", "MY", 10),
            key("a", "MY", 10),
            key("c", "MY", 30),
            key("d", "SG", 1),
        ]);
        assert_eq!(ranks.place("p.q", 0, "c"), Some(1));
        assert_eq!(ranks.place("p.q", 0, "a"), Some(2));
        assert_eq!(ranks.place("p.q", 0, "b"), Some(3));
        assert_eq!(ranks.place("p.q", 0, "d"), Some(1));
        assert_eq!(ranks.place("p.q", 0, "zz"), None);
        assert_eq!(ranks.place("p.q", 1, "c"), None);
        assert_eq!(ranks.len(), 4);
        assert!(!ranks.is_empty());
    }

    #[test]
    fn places_set_by_a_host_and_an_empty_ranking() {
        let mut ranks = Ranks::default();
        assert!(ranks.is_empty());
        assert_eq!(ranks.len(), 0);
        // A second ranking of a policy, set before its first.
        ranks.set("p.q", 1, Arc::from("v-1"), 7);
        assert!(!ranks.is_empty());
        assert_eq!(ranks.place("p.q", 1, "v-1"), Some(7));
        assert_eq!(ranks.place("p.q", 0, "v-1"), None);
        ranks.set("p.q", 1, Arc::from("v-1"), 3);
        assert_eq!((ranks.place("p.q", 1, "v-1"), ranks.len()), (Some(3), 1));
        // Two rankings and two policies are apart; scores of other kinds order too.
        let mut keys = vec![key("x", "", 5), key("y", "", 9)];
        keys.push(RankKey {
            ranking: 1,
            ..key("x", "", 1)
        });
        keys.push(RankKey {
            policy: Arc::from("p.r"),
            ..key("y", "", 1)
        });
        let ranks = Ranks::from_keys(keys);
        assert_eq!(ranks.place("p.q", 0, "y"), Some(1));
        assert_eq!(ranks.place("p.q", 0, "x"), Some(2));
        assert_eq!(ranks.place("p.q", 1, "x"), Some(1));
        assert_eq!(ranks.place("p.r", 0, "y"), Some(1));
        assert_eq!(ranks.len(), 4);
    }
}
