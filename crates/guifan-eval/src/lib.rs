//! The Guifan (规范) checker and evaluator.
//!
//! Pure: no files, no clock, no printing. Rule files parsed by
//! `guifan-syntax` are checked together against the schema they declare, into
//! an immutable [`Program`] (`Send + Sync`) whose names are resolved to slots.
//! Records are decoded straight into the schema's layout and evaluated
//! against it.
//!
//! ```
//! use guifan_eval::{check, decode_subject, evaluate};
//! use guifan_syntax::{parse, SourceId};
//!
//! let file = parse(SourceId(0), r#"
//!     kind merchant { platform: string, listings_online: int }
//!     effect violation(code: string)
//!     policy demo.listings {
//!       subject merchant where platform == "douyin"
//!       zone Asia/Shanghai
//!       param cap: int = 100
//!       rule listing_cap {
//!         when listings_online > cap
//!         then violation(code: "listing_cap_exceeded")
//!         message "在线商品 {listings_online} 件, 上限 {cap} 件"
//!       }
//!     }
//! "#).expect("parses");
//! let program = check(&[file]).expect("checks");
//! let subject = decode_subject(
//!     program.schema(),
//!     br#"{"kind":"merchant","id":"m-1","platform":"douyin","listings_online":101}"#,
//! ).expect("decodes");
//! let now = "2023-03-01T12:00:00+08:00".parse().expect("a time");
//! let outcome = evaluate(&program, &subject, now);
//! assert_eq!(&*outcome.decisions[0].rule, "demo.listings.listing_cap");
//! assert_eq!(outcome.decisions[0].message.as_deref(), Some("在线商品 101 件, 上限 100 件"));
//! ```
//!
//! Data flow: `ast::RuleFile`s ─[`check`]→ [`Program`]; JSON ─[`decode_subject`]→
//! [`Subject`]; ([`Program`], [`Subject`], now) ─[`evaluate`]→ [`Outcome`].
//! [`check`] also compiles each policy into closures, which [`evaluate`] and
//! [`evaluate_into`] run; [`evaluate_traced`] and [`evaluate_interpreted`]
//! walk the program instead, with the same results. A host that decides
//! record after record on one thread hands each decided [`Subject`] to
//! [`recycle`], and the next records it decodes reuse its arrays: no
//! allocation per record once the thread's pool holds what a record needs.

pub mod calendar;
mod check;
mod decode;
mod error;
mod eval;
mod ids;
mod index;
mod ir;
mod recycle;
mod schema;
mod suggest;
mod types;
mod value;

pub use check::{check, check_indexed};
pub use decode::{
    decode_subject, decode_value, duration as parse_duration, peek_kind, DataError, MAX_ID_BYTES,
    MAX_STRING_BYTES,
};
#[cfg(any(test, feature = "test-hooks"))]
pub use decode::{decode_subject_detailed, decode_subject_fast};
pub use error::{CheckError, CheckErrorKind, EvalError, EvalErrorKind, ParamError};
pub use eval::rank;
pub use eval::trace::{Applies, RuleStatus, Tracer};
pub use eval::{
    evaluate, evaluate_interpreted, evaluate_into, evaluate_traced, evaluate_with_ranks,
    unmet_requirements, Decision, Effect, Made, MadeEffect, MadeMessage, Outcome, RuleError, Sink,
};
pub use index::{Checked, Target, Use};
pub use ir::{
    CmpOp, EffectArgs, EffectTemplate, Message, Param, Policy, Program, Require, Rule, Version,
    Window,
};
pub use recycle::recycle;
pub use schema::{EffectDef, FieldDef, KindDef, KindId, PlatformDef, RecordDef, RecordId, Schema};
pub use suggest::{did_you_mean, zone_did_you_mean};
pub use types::Type;
pub use value::{timestamp_text, Currency, Duration, JsonValue, Money, Subject, Text, Value};

impl Program {
    /// Overrides a parameter's value with JSON text of its type (`120`, `"300.00"`, `["telegram"]`),
    /// as a deployment does from its TOML settings.
    pub fn set_param(&mut self, policy: &str, name: &str, json: &str) -> Result<(), ParamError> {
        let schema = &self.schema;
        let Some(p) = self.policies.iter_mut().find(|p| &*p.id == policy) else {
            return Err(ParamError::UnknownPolicy {
                policy: policy.to_string(),
            });
        };
        let Some(param) = p.params.iter_mut().find(|x| x.name == name) else {
            return Err(ParamError::UnknownParam {
                policy: policy.to_string(),
                name: name.to_string(),
                known: p.params.iter().map(|x| x.name.clone()).collect(),
            });
        };
        let invalid = |message: String| ParamError::Invalid {
            policy: policy.to_string(),
            name: name.to_string(),
            message,
        };
        let value = decode_value(schema, &param.ty, json).map_err(|e| invalid(e.to_string()))?;
        if param.patterns.is_some() {
            // A pattern parameter: compiled now, once, or refused.
            let set = check::compile_patterns(&value)
                .map_err(|e| invalid(format!("invalid regular expression: {e}")))?;
            param.patterns = Some(std::sync::Arc::new(set));
        }
        param.value = value;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
