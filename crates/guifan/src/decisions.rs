//! What a rule set decides about one record, in the catalogue's decision
//! format: typed for Rust, and `Serialize` to the JSON every other tool reads.

use std::fmt;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

/// Everything decided about one subject: the rules that fired, and the rules
/// that could not be evaluated on it.
///
/// Serialises as `{"subject", "kind", "decisions": [...], "errors"?: [...]}`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Decisions {
    pub(crate) subject: String,
    pub(crate) kind: String,
    pub(crate) decisions: Vec<Decision>,
    pub(crate) errors: Vec<RuleFailure>,
    pub(crate) revision: std::sync::Arc<str>,
}

impl Decisions {
    /// The revision of the rule set that decided (see [`crate::RuleSet::revision`]).
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":1}"#, now).unwrap();
    /// assert_eq!(d.revision(), rules.revision());
    /// ```
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// The subject's `id`.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x-1","n":1}"#, now).unwrap();
    /// assert_eq!((d.subject(), d.kind()), ("x-1", "k"));
    /// ```
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The subject's kind.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// assert_eq!(rules.decide_json(br#"{"kind":"k","id":"x","n":1}"#, now).unwrap().kind(), "k");
    /// ```
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The rules that fired, in policy and rule order.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("k.schema", "kind k { n: int }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// assert!(rules.decide_json(br#"{"kind":"k","id":"x","n":1}"#, now).unwrap().decisions().is_empty());
    /// ```
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// The rules that could not be evaluated on this record (the others were).
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([(
    ///     "p.policy",
    ///     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when 10 / n > 1 then e } }",
    /// )]).unwrap();
    /// let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":0}"#, now).unwrap();
    /// assert_eq!(d.errors()[0].code(), "guifan::eval::division_by_zero");
    /// ```
    pub fn errors(&self) -> &[RuleFailure] {
        &self.errors
    }
}

impl Serialize for Decisions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let with_errors = !self.errors.is_empty();
        let mut st = s.serialize_struct("Decisions", if with_errors { 4 } else { 3 })?;
        st.serialize_field("subject", &self.subject)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("decisions", &self.decisions)?;
        if with_errors {
            st.serialize_field("errors", &self.errors)?;
        }
        st.end()
    }
}

/// One rule that fired: its full ID, the version in force, its effects and message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Decision {
    pub(crate) rule: String,
    pub(crate) version: Option<String>,
    pub(crate) effects: Vec<Effect>,
    pub(crate) message: Option<String>,
}

impl Decision {
    pub(crate) fn from_eval(d: guifan_eval::Decision) -> Decision {
        Decision {
            rule: d.rule.to_string(),
            version: d.version.map(|v| v.to_string()),
            effects: d
                .effects
                .into_iter()
                .map(|e| Effect {
                    kind: e.kind.to_string(),
                    args: e
                        .args
                        .iter()
                        .filter(|(_, v)| !matches!(v, guifan_eval::Value::Absent))
                        .map(|(k, v)| (k.to_string(), Value(v.clone())))
                        .collect(),
                })
                .collect(),
            message: d.message.map(|m| m.to_string()),
        }
    }

    /// The rule's full ID, `<policy>.<rule>` (`douyin.zero_deposit_trial.listing_cap`).
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// assert_eq!(d.decisions()[0].rule(), "a.b.r");
    /// ```
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The label of the version that decided, for a versioned rule.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { version \"v2\" from 2023-01-01 { when n > 1 then e } } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// assert_eq!(d.decisions()[0].version(), Some("v2"));
    /// ```
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The effects, in the order written.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e effect f policy a.b { subject k zone UTC rule r { when n > 1 then e, f } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// let kinds: Vec<&str> = d.decisions()[0].effects().iter().map(|e| e.kind()).collect();
    /// assert_eq!(kinds, ["e", "f"]);
    /// ```
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// The rendered message.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e message \"n = {n}\" } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// assert_eq!(d.decisions()[0].message(), Some("n = 2"));
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("rule", &self.rule)?;
        if let Some(v) = &self.version {
            map.serialize_entry("version", v)?;
        }
        map.serialize_entry("effects", &self.effects)?;
        if let Some(m) = &self.message {
            map.serialize_entry("message", m)?;
        }
        map.end()
    }
}

/// An effect a rule yields: its kind and its (present) arguments.
///
/// Serialises as `{"kind": "restrict", "target": "listing"}`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Effect {
    pub(crate) kind: String,
    pub(crate) args: Vec<(String, Value)>,
}

impl Effect {
    /// Its kind (`restrict`).
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect fine(amount: money) policy a.b { subject k zone UTC currency CNY rule r { when n > 1 then fine(amount: 30 CNY) } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// assert_eq!(d.decisions()[0].effects()[0].kind(), "fine");
    /// ```
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Its arguments, in the order written (absent ones left out).
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect fine(amount: money) policy a.b { subject k zone UTC currency CNY rule r { when n > 1 then fine(amount: 30 CNY) } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// let (name, value) = &d.decisions()[0].effects()[0].args()[0];
    /// assert_eq!((name.as_str(), value.to_string()), ("amount", "30.00 CNY".to_string()));
    /// ```
    pub fn args(&self) -> &[(String, Value)] {
        &self.args
    }

    /// An argument by name.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect fine(amount: money) policy a.b { subject k zone UTC currency CNY rule r { when n > 1 then fine(amount: 30 CNY) } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// let amount = d.decisions()[0].effects()[0].arg("amount").unwrap();
    /// assert_eq!(amount.as_money(), Some(("30".parse().unwrap(), "CNY")));
    /// ```
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

impl Serialize for Effect {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.args.len() + 1))?;
        map.serialize_entry("kind", &self.kind)?;
        for (name, value) in &self.args {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A value of the language: exact (money and decimals are never floats).
/// Serialises as in decision records: money `"1500.00 CNY"`, durations
/// `"72h"`, timestamps RFC 3339, decimals as exact JSON numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Value(pub(crate) guifan_eval::Value);

impl Value {
    /// A bool, when it is one.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e(x: bool) policy a.b { subject k zone UTC rule r { when n > 1 then e(x: true) } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// # let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// assert_eq!(d.decisions()[0].effects()[0].arg("x").unwrap().as_bool(), Some(true));
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match self.0 {
            guifan_eval::Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An int, when it is one.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e(x: int) policy a.b { subject k zone UTC rule r { when n > 1 then e(x: n * 2) } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// # let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// assert_eq!(d.decisions()[0].effects()[0].arg("x").unwrap().as_int(), Some(4));
    /// ```
    pub fn as_int(&self) -> Option<i64> {
        match self.0 {
            guifan_eval::Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// Text, when it is a string.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e(x: string) policy a.b { subject k zone UTC rule r { when n > 1 then e(x: \"hi\") } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// # let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// assert_eq!(d.decisions()[0].effects()[0].arg("x").unwrap().as_str(), Some("hi"));
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            guifan_eval::Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// An exact decimal, when it is a decimal or a percentage (as its fraction).
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e(x: decimal) policy a.b { subject k zone UTC rule r { when n > 1 then e(x: 1.25) } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// # let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// assert_eq!(d.decisions()[0].effects()[0].arg("x").unwrap().as_decimal(), Some("1.25".parse().unwrap()));
    /// ```
    pub fn as_decimal(&self) -> Option<rust_decimal::Decimal> {
        match self.0 {
            guifan_eval::Value::Decimal(d) | guifan_eval::Value::Percent(d) => Some(d),
            _ => None,
        }
    }

    /// An amount of money and its currency code, when it is money.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect fine(amount: money) policy a.b { subject k zone UTC currency CNY rule r { when n > 1 then fine(amount: 30.50 CNY) } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// # let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// let (amount, currency) = d.decisions()[0].effects()[0].arg("amount").unwrap().as_money().unwrap();
    /// assert_eq!((amount.to_string(), currency), ("30.50".to_string(), "CNY"));
    /// ```
    pub fn as_money(&self) -> Option<(rust_decimal::Decimal, &str)> {
        match &self.0 {
            guifan_eval::Value::Money(m) => Some((m.amount, m.currency.as_str())),
            _ => None,
        }
    }

    /// The value as JSON, as decision records write it.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e(d: duration) policy a.b { subject k zone UTC rule r { when n > 1 then e(d: 72h) } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// # let d = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now).unwrap();
    /// assert_eq!(d.decisions()[0].effects()[0].arg("d").unwrap().to_json(), serde_json::json!("3d"));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(guifan_eval::JsonValue(&self.0)).unwrap_or(serde_json::Value::Null)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        guifan_eval::JsonValue(&self.0).serialize(s)
    }
}

/// A rule that could not be evaluated on a record: which, why, and where in
/// the rule files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RuleFailure {
    pub(crate) rule: String,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// The failed expression's file and bytes, for reports that show its line
    #[serde(skip)]
    pub(crate) at: Option<(guifan_syntax::SourceId, guifan_syntax::Span)>,
}

impl RuleFailure {
    /// The rule's full ID (or the policy's, for its filter).
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when 10 / n > 1 then e } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":0}"#, now).unwrap();
    /// assert_eq!(d.errors()[0].rule(), "a.b.r");
    /// ```
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The stable code (`guifan::eval::division_by_zero`).
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when 10 / n > 1 then e } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":0}"#, now).unwrap();
    /// assert_eq!(d.errors()[0].code(), "guifan::eval::division_by_zero");
    /// ```
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// What went wrong, and where: `p.policy:1:81: division by zero`.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([("p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when 10 / n > 1 then e } }")]).unwrap();
    /// # let now = "2024-01-01T00:00:00Z".parse().unwrap();
    /// let d = rules.decide_json(br#"{"kind":"k","id":"x","n":0}"#, now).unwrap();
    /// assert_eq!(d.errors()[0].to_string(), "p.policy:1:74: division by zero [guifan::eval::division_by_zero]");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RuleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {} [{}]",
            self.file, self.line, self.column, self.message, self.code
        )
    }
}
