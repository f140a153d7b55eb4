//! Making a decision: the effects of a rule whose condition held (those
//! whose guard holds, with their computed arguments) and its message, by the
//! version's compiled closures when it has them, else by the interpreter.

use super::compiled::VersionCode;
use super::frame::Frame;
use super::ops::Failure;
use super::{Made, MadeMessage, Sink};
use crate::ir::{ExprKind, Message, TemplatePart};
use crate::value::{Value, LIST_SEPARATOR};

impl<'a> Frame<'a> {
    /// Makes the decision of a rule whose condition held and hands it to
    /// `sink`: effects whose guard holds, their computed arguments and the
    /// message, in buffers the frame keeps for the next decision.
    pub(in crate::eval) fn decide(
        &mut self,
        rule: &'a crate::ir::Rule,
        version: &'a crate::ir::Version,
        code: Option<VersionCode<'a>>,
        sink: &mut dyn Sink<'a>,
    ) -> Result<(), Failure> {
        let mut yielded = std::mem::take(&mut self.made_effects);
        let mut values = std::mem::take(&mut self.made_values);
        let mut text = std::mem::take(&mut self.made_message);
        yielded.clear();
        values.clear();
        text.clear();
        let result = self.make(version, code, &mut yielded, &mut values, &mut text);
        if result.is_ok() {
            let message = match &version.message {
                Some(Message::Constant(t)) => Some(MadeMessage::Constant(t)),
                Some(Message::Template(_)) => Some(MadeMessage::Rendered(&text)),
                None => None,
            };
            sink.decision(&Made {
                rule,
                version,
                yielded: &yielded,
                values: &values,
                message,
            });
        }
        self.made_effects = yielded;
        self.made_values = values;
        self.made_message = text;
        result
    }

    /// The effects and message of a decision into the buffers (by `code`
    /// when the version is compiled); a template is rendered into `text`.
    fn make(
        &mut self,
        version: &'a crate::ir::Version,
        code: Option<VersionCode<'a>>,
        yielded: &mut Vec<(u32, u32, u32)>,
        values: &mut Vec<Value>,
        text: &mut String,
    ) -> Result<(), Failure> {
        for (i, e) in version.effects.iter().enumerate() {
            let compiled = code.and_then(|c| Some((c.code.effects.get(i)?, c.unit)));
            if let Some(guard) = &e.guard {
                let held = match compiled.and_then(|(c, u)| Some((c.guard.as_ref()?, u))) {
                    Some((g, u)) => g(self, u)?,
                    None => self.eval_bool(guard)?,
                };
                if !held {
                    continue;
                }
            }
            let start = values.len();
            if e.constant.is_none() {
                for (j, (_, expr)) in e.args.iter().enumerate() {
                    let v = match compiled.and_then(|(c, u)| Some((c.args.get(j)?, u))) {
                        Some((a, u)) => a(self, u)?,
                        None => self.eval(expr)?,
                    };
                    values.push(v.into_owned());
                }
            }
            yielded.push((
                u32::try_from(i).unwrap_or(u32::MAX),
                u32::try_from(start).unwrap_or(u32::MAX),
                u32::try_from(values.len()).unwrap_or(u32::MAX),
            ));
        }
        let Some(Message::Template(parts)) = &version.message else {
            return Ok(());
        };
        for (k, part) in parts.iter().enumerate() {
            match part {
                TemplatePart::Text(t) => text.push_str(t),
                // `{held}` is written label by label, as its list would be: no list is built.
                TemplatePart::Expr(e) if matches!(e.kind, ExprKind::Held) => {
                    for (i, label) in self.held.iter().enumerate() {
                        if i > 0 {
                            text.push_str(LIST_SEPARATOR);
                        }
                        text.push_str(label);
                    }
                }
                TemplatePart::Expr(e) => {
                    let v = match code.and_then(|c| Some((c.code.parts.get(k)?.as_ref()?, c.unit)))
                    {
                        Some((p, u)) => p(self, u)?,
                        None => self.eval(e)?,
                    };
                    crate::value::write_text(text, &v);
                }
            }
        }
        Ok(())
    }
}
