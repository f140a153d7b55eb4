//! Ranking keys as text: the first pass over a population run somewhere
//! else (a Spark stage, another process) hands its keys to the pass that
//! decides as JSON Lines, one key per line, every value typed exactly.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime};
use guifan_eval::rank::RankKey;
use guifan_eval::{Currency, Duration, Money, Value};
use rust_decimal::Decimal;
use serde_json::{json, Value as Json};

use crate::data::RecordText;
use crate::RuleSet;

/// A ranking key that cannot be read back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("ranking key {index}: {message}")]
pub struct RankKeyError {
    /// The key's place among those given (from 0)
    pub index: usize,
    /// What is wrong
    pub message: String,
}

impl RuleSet {
    /// The ranking keys of `records` as JSON Lines (see
    /// [`RuleSet::with_rank_keys_text`]): what a first pass over one part of
    /// a population hands on. Keys whose values cannot be written as text
    /// (lists, maps, records) are left out, as they cannot be compared.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([("p.policy", r#"
    ///     kind shop { gmv: int }
    ///     effect top
    ///     policy a.b { subject shop zone UTC rank by_gmv by gmv
    ///       rule first { when (by_gmv ?? 0) == 1 then top } }"#)])?;
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// // Two parts of one population, each ranked where it is...
    /// let part = |json: &str| guifan::data::records(json.as_bytes(), guifan::data::InputFormat::Jsonl)
    ///     .map(|r| rules.rank_keys_text(&r, now));
    /// let a = part(r#"{"kind":"shop","id":"s-1","gmv":10}"#)?;
    /// let b = part(r#"{"kind":"shop","id":"s-2","gmv":30}"#)?;
    /// // ...and their keys brought together: s-2 is first of both, s-1 is not.
    /// let ranked = rules.with_rank_keys_text(&[a.as_str(), b.as_str()])?;
    /// let d = ranked.decide_json(br#"{"kind":"shop","id":"s-2","gmv":30}"#, now)?;
    /// assert_eq!(d.decisions().len(), 1);
    /// let d = ranked.decide_json(br#"{"kind":"shop","id":"s-1","gmv":10}"#, now)?;
    /// assert_eq!(d.decisions().len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rank_keys_text(
        &self,
        records: &[RecordText<'_>],
        now: DateTime<chrono::FixedOffset>,
    ) -> String {
        let mut out = String::new();
        for key in self.rank_keys(records, now, &mut |_| {}) {
            let (Some(partition), Some(score)) =
                (value_json(&key.partition), value_json(&key.score))
            else {
                continue;
            };
            let line = json!([&*key.policy, key.ranking, &*key.id, partition, score]);
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }

    /// This rule set with the places given by ranking keys written by
    /// [`RuleSet::rank_keys_text`] over every part of a population.
    pub fn with_rank_keys_text(&self, parts: &[&str]) -> Result<RuleSet, RankKeyError> {
        let mut keys = Vec::new();
        for part in parts {
            for line in part.lines().filter(|l| !l.trim().is_empty()) {
                let index = keys.len();
                let bad = |message: &str| RankKeyError {
                    index,
                    message: message.to_string(),
                };
                let json: Json = serde_json::from_str(line).map_err(|e| bad(&e.to_string()))?;
                let Some([policy, ranking, id, partition, score]) = json
                    .as_array()
                    .map(Vec::as_slice)
                    .and_then(|a| <&[Json; 5]>::try_from(a).ok())
                else {
                    return Err(bad("expected [policy, ranking, id, partition, score]"));
                };
                keys.push(RankKey {
                    policy: Arc::from(
                        policy
                            .as_str()
                            .ok_or_else(|| bad("the policy is not a string"))?,
                    ),
                    ranking: ranking
                        .as_u64()
                        .and_then(|r| usize::try_from(r).ok())
                        .ok_or_else(|| bad("the ranking is not an index"))?,
                    id: guifan_eval::Text::new(
                        id.as_str().ok_or_else(|| bad("the id is not a string"))?,
                    ),
                    partition: json_value(partition)
                        .ok_or_else(|| bad("an unreadable partition"))?,
                    score: json_value(score).ok_or_else(|| bad("an unreadable score"))?,
                });
            }
        }
        Ok(self.with_rank_keys(keys))
    }
}

/// A scalar value tagged with its type; `None` for lists, maps and records.
fn value_json(v: &Value) -> Option<Json> {
    Some(match v {
        Value::Absent => json!(["absent"]),
        Value::Bool(b) => json!(["bool", b]),
        Value::Int(i) => json!(["int", i.to_string()]),
        Value::Decimal(d) => json!(["decimal", d.to_string()]),
        Value::Percent(d) => json!(["percent", d.to_string()]),
        Value::Money(m) => json!(["money", m.amount.to_string(), m.currency.as_str()]),
        Value::Str(s) => json!(["string", &**s]),
        Value::Date(d) => json!(["date", d.to_string()]),
        Value::Timestamp(t) => json!(["timestamp", t.to_rfc3339()]),
        Value::Time(t) => json!(["time", t.to_string()]),
        Value::Duration(d) => json!(["duration", d.0.to_string()]),
        Value::Period(p) => json!(["period", p.to_string()]),
        Value::List(_) | Value::Map(_) | Value::Record(_) => return None,
    })
}

/// The value [`value_json`] wrote.
fn json_value(j: &Json) -> Option<Value> {
    let parts = j.as_array()?;
    let tag = parts.first()?.as_str()?;
    let text = || parts.get(1).and_then(Json::as_str);
    Some(match tag {
        "absent" => Value::Absent,
        "bool" => Value::Bool(parts.get(1)?.as_bool()?),
        "int" => Value::Int(text()?.parse().ok()?),
        "decimal" => Value::Decimal(text()?.parse::<Decimal>().ok()?),
        "percent" => Value::Percent(text()?.parse::<Decimal>().ok()?),
        "money" => Value::Money(Money {
            amount: text()?.parse::<Decimal>().ok()?,
            currency: Currency::parse(parts.get(2)?.as_str()?)?,
        }),
        "string" => Value::str(text()?),
        "date" => Value::Date(text()?.parse::<NaiveDate>().ok()?),
        "timestamp" => Value::Timestamp(DateTime::parse_from_rfc3339(text()?).ok()?),
        "time" => Value::Time(text()?.parse::<NaiveTime>().ok()?),
        "duration" => Value::Duration(Duration(text()?.parse().ok()?)),
        "period" => Value::Period(text()?.parse().ok()?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn every_scalar_comes_back_as_it_went() {
        let values = [
            Value::Absent,
            Value::Bool(true),
            Value::Int(-42),
            Value::Decimal(Decimal::new(12345, 3)),
            Value::Percent(Decimal::new(5, 1)),
            Value::Money(Money {
                amount: Decimal::new(150_000, 2),
                currency: Currency::parse("CNY").unwrap(),
            }),
            Value::str("shop-1"),
            Value::Date(NaiveDate::from_ymd_opt(2024, 3, 11).unwrap()),
            Value::Timestamp(DateTime::parse_from_rfc3339("2024-03-11T09:30:00+08:00").unwrap()),
            Value::Time(NaiveTime::from_hms_opt(9, 30, 5).unwrap()),
            Value::Duration(Duration(3600)),
            Value::Period(12),
        ];
        for v in values {
            let text = value_json(&v).unwrap().to_string();
            let back: Json = serde_json::from_str(&text).unwrap();
            assert_eq!(json_value(&back), Some(v.clone()), "{text}");
        }
        assert!(value_json(&Value::List(Arc::from(vec![]))).is_none());
        assert!(json_value(&json!(["nonsense", "1"])).is_none());
    }
}
