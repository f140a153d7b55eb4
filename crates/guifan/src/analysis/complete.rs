//! What may be typed at a place: the fields of the value before a `.`, the
//! names a policy can read, built-ins and effects with their arguments as
//! snippets, kinds after `subject` and `on`, zones after `zone`, and the
//! values of an enumeration on the other side of `==`.

use std::path::Path;

use guifan_eval::{RecordId, Target, Type};
use guifan_syntax::ast::PolicyDecl;
use guifan_syntax::SourceId;

use super::{builtin_docs::BUILTINS, contains, Analysis};

/// One thing that may be typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// What the menu shows (the name)
    pub label: String,
    /// What it is
    pub kind: CompletionKind,
    /// Its type or signature
    pub detail: Option<String>,
    /// More about it, in Markdown
    pub documentation: Option<String>,
    /// What to insert, when not the label (a snippet when `snippet` is set)
    pub insert: Option<String>,
    /// Whether `insert` is an LSP snippet (`$1` places)
    pub snippet: bool,
}

/// What a completion stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    /// A field of a record or of the subject
    Field,
    /// A parameter
    Param,
    /// A definition (`let`)
    Let,
    /// A name bound in a rule
    Local,
    /// A built-in function
    Function,
    /// An effect
    Effect,
    /// A kind or record type
    Kind,
    /// A reserved word
    Keyword,
    /// A value of an enumeration
    Value,
    /// A time zone
    Zone,
}

impl Completion {
    fn plain(label: impl Into<String>, kind: CompletionKind, detail: Option<String>) -> Completion {
        Completion {
            label: label.into(),
            kind,
            detail,
            documentation: None,
            insert: None,
            snippet: false,
        }
    }
}

/// The words a policy's expressions may continue with.
const EXPRESSION_WORDS: [&str; 12] = [
    "and",
    "or",
    "not",
    "if",
    "then",
    "else",
    "is present",
    "is absent",
    "within",
    "now",
    "true",
    "false",
];

/// The words that start a declaration.
const DECLARATION_WORDS: [&str; 5] = ["kind", "record", "effect", "platform", "policy"];

impl Analysis {
    /// What may be typed at `offset` of `path`, in `text` (the file as it is
    /// now: it may be newer than the text analysed, and not parse).
    pub fn completions(&self, path: &Path, text: &str, offset: usize) -> Vec<Completion> {
        let offset = offset.min(text.len());
        let Some(before) = text.get(..offset) else {
            return Vec::new();
        };
        let word_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
            .last()
            .map_or(offset, |(i, _)| i);
        let head = before.get(..word_start).unwrap_or("");
        let id = self.source(path);
        let policy = id.and_then(|id| self.policy_around(id, word_start));
        if let Some(receiver) = head.strip_suffix('.') {
            return self.member_completions(id, policy, receiver, word_start);
        }
        let line = before.rsplit('\n').next().unwrap_or("");
        if line.trim_start().starts_with("zone ") {
            return zone_completions();
        }
        let trimmed = head.trim_end();
        let previous_word = trimmed
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if trimmed.ends_with(previous_word) && !previous_word.is_empty() {
            match previous_word {
                "subject" | "on" => return self.kind_completions(),
                "then" => return self.effect_completions(),
                _ => {}
            }
        }
        if let Some(left) = trimmed
            .strip_suffix('"')
            .unwrap_or(trimmed)
            .trim_end()
            .strip_suffix("==")
            .or_else(|| {
                trimmed
                    .strip_suffix('"')
                    .unwrap_or(trimmed)
                    .trim_end()
                    .strip_suffix("!=")
            })
        {
            let quoted = trimmed.ends_with('"');
            let values = self.enum_completions(id, left.trim_end().len(), quoted);
            if !values.is_empty() {
                return values;
            }
        }
        match policy {
            Some(p) => self.name_completions(id, p, word_start),
            None => DECLARATION_WORDS
                .iter()
                .map(|w| Completion::plain(*w, CompletionKind::Keyword, None))
                .collect(),
        }
    }

    pub(super) fn policy_around(&self, id: SourceId, offset: usize) -> Option<&PolicyDecl> {
        self.policies()
            .find(|(pid, p)| *pid == id && contains(p.span, offset))
            .map(|(_, p)| p)
    }

    /// The fields of the value a dotted chain (`deposit`, `o.buyer`) names.
    fn member_completions(
        &self,
        id: Option<SourceId>,
        policy: Option<&PolicyDecl>,
        receiver: &str,
        at: usize,
    ) -> Vec<Completion> {
        let chain: Vec<&str> = {
            let start = receiver
                .char_indices()
                .rev()
                .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                .last()
                .map_or(receiver.len(), |(i, _)| i);
            receiver.get(start..).unwrap_or("").split('.').collect()
        };
        let Some((first, rest)) = chain.split_first() else {
            return Vec::new();
        };
        let Some(mut ty) = self.type_of_name(id, policy, first, at) else {
            return Vec::new();
        };
        for member in rest {
            let Some(record) = record_of(&ty) else {
                return Vec::new();
            };
            let Some(field) = self
                .schema
                .record(record)
                .and_then(|r| r.fields.iter().find(|f| f.name == *member))
            else {
                return Vec::new();
            };
            ty = field.ty.clone();
        }
        let Some(record) = record_of(&ty).and_then(|r| self.schema.record(r)) else {
            return Vec::new();
        };
        record
            .fields
            .iter()
            .map(|f| {
                let mark = if f.optional { "?" } else { "" };
                let mut c = Completion::plain(
                    f.name.clone(),
                    CompletionKind::Field,
                    Some(format!("{}{mark}", f.ty.display(&self.schema))),
                );
                c.documentation = Some(format!("field of `{}`", record.name));
                c
            })
            .collect()
    }

    /// The type of a name read at `at`: as the checker resolved it nearby,
    /// else a field of the policy's subject.
    fn type_of_name(
        &self,
        id: Option<SourceId>,
        policy: Option<&PolicyDecl>,
        name: &str,
        at: usize,
    ) -> Option<Type> {
        let policy = policy?;
        let resolved = self
            .uses
            .iter()
            .filter(|u| Some(u.source) == id && *u.policy == *policy.id.node)
            .filter(|u| !matches!(u.target, Target::Builtin { .. } | Target::Effect { .. }))
            .filter(|u| u.target.name() == name)
            .filter(|u| match &u.target {
                // A name bound in a rule is known only in that rule.
                Target::Local { declared, .. } => policy
                    .rules
                    .iter()
                    .any(|r| contains(r.span, declared.start as usize) && contains(r.span, at)),
                _ => true,
            })
            .min_by_key(|u| (u.span.start as usize).abs_diff(at));
        if let Some(u) = resolved {
            return Some(u.ty.clone());
        }
        let kind = policy.subject.as_ref()?;
        let record = self.kind_record(&kind.kind.name)?;
        let field = self
            .schema
            .record(record)?
            .fields
            .iter()
            .find(|f| f.name == name)?;
        Some(field.ty.clone())
    }

    fn kind_record(&self, kind: &str) -> Option<RecordId> {
        self.schema
            .kinds
            .iter()
            .find(|k| k.name == kind)
            .map(|k| k.record)
    }

    fn kind_completions(&self) -> Vec<Completion> {
        self.schema
            .kinds
            .iter()
            .map(|k| Completion::plain(k.name.clone(), CompletionKind::Kind, Some("kind".into())))
            .collect()
    }

    fn effect_completions(&self) -> Vec<Completion> {
        self.schema
            .effects
            .iter()
            .map(|e| {
                let args: Vec<String> = e
                    .params
                    .iter()
                    .filter(|p| !p.optional)
                    .enumerate()
                    .map(|(i, p)| format!("{}: ${{{}}}", p.name, i + 1))
                    .collect();
                let shown: Vec<String> = e
                    .params
                    .iter()
                    .map(|p| {
                        let mark = if p.optional { "?" } else { "" };
                        format!("{}: {}{mark}", p.name, p.ty.display(&self.schema))
                    })
                    .collect();
                Completion {
                    label: e.name.clone(),
                    kind: CompletionKind::Effect,
                    detail: Some(format!("effect {}({})", e.name, shown.join(", "))),
                    documentation: None,
                    insert: Some(format!("{}({})", e.name, args.join(", "))),
                    snippet: true,
                }
            })
            .collect()
    }

    /// The values of the enumeration read just before `end` (`store_type ==`).
    fn enum_completions(&self, id: Option<SourceId>, end: usize, quoted: bool) -> Vec<Completion> {
        let Some(u) = self
            .uses
            .iter()
            .filter(|u| Some(u.source) == id && u.span.end as usize == end)
            .min_by_key(|u| u.span.end - u.span.start)
        else {
            return Vec::new();
        };
        let Type::Enum(e) = u.ty.strip_optional() else {
            return Vec::new();
        };
        let Some(values) = self.schema.enums.get(e.0 as usize) else {
            return Vec::new();
        };
        values
            .iter()
            .map(|v| {
                let mut c = Completion::plain(
                    format!("\"{v}\""),
                    CompletionKind::Value,
                    Some(u.ty.display(&self.schema).to_string()),
                );
                if quoted {
                    c.insert = Some(format!("{v}\""));
                }
                c
            })
            .collect()
    }

    /// The names a policy's expression may read at `at`, then built-ins and words.
    fn name_completions(
        &self,
        id: Option<SourceId>,
        policy: &PolicyDecl,
        at: usize,
    ) -> Vec<Completion> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let declared = policy
            .params
            .iter()
            .map(|p| (&p.name, CompletionKind::Param))
            .chain(policy.lets.iter().map(|l| (&l.name, CompletionKind::Let)));
        for (name, kind) in declared {
            if seen.insert(name.name.clone()) {
                let ty = self.declared_type(id, &name.span);
                out.push(Completion::plain(name.name.clone(), kind, ty));
            }
        }
        for r in &policy.ranks {
            if seen.insert(r.name.name.clone()) {
                out.push(Completion::plain(
                    r.name.name.clone(),
                    CompletionKind::Let,
                    Some("int?".into()),
                ));
            }
        }
        if let Some(rule) = policy.rules.iter().find(|r| contains(r.span, at)) {
            for u in &self.uses {
                if let Target::Local { name, declared } = &u.target {
                    let here = Some(u.source) == id
                        && u.span == *declared
                        && contains(rule.span, declared.start as usize)
                        && (declared.end as usize) <= at;
                    if here && seen.insert(name.clone()) {
                        let ty = u.ty.display(&self.schema).to_string();
                        out.push(Completion::plain(
                            name.clone(),
                            CompletionKind::Local,
                            Some(ty),
                        ));
                    }
                }
            }
        }
        let subject = policy
            .subject
            .as_ref()
            .and_then(|s| self.kind_record(&s.kind.name));
        if let Some(record) = subject.and_then(|r| self.schema.record(r)) {
            for f in &record.fields {
                if seen.insert(f.name.clone()) {
                    let mark = if f.optional { "?" } else { "" };
                    let mut c = Completion::plain(
                        f.name.clone(),
                        CompletionKind::Field,
                        Some(format!("{}{mark}", f.ty.display(&self.schema))),
                    );
                    c.documentation = Some(format!("field of `{}`", record.name));
                    out.push(c);
                }
            }
        }
        for b in BUILTINS {
            out.push(Completion {
                label: b.name.to_string(),
                kind: CompletionKind::Function,
                detail: Some(b.signature.to_string()),
                documentation: Some(b.doc.to_string()),
                insert: Some(b.snippet.to_string()),
                snippet: true,
            });
        }
        out.extend(
            EXPRESSION_WORDS
                .iter()
                .map(|w| Completion::plain(*w, CompletionKind::Keyword, None)),
        );
        out
    }

    /// The type recorded at a declaration's name.
    fn declared_type(&self, id: Option<SourceId>, name: &guifan_syntax::Span) -> Option<String> {
        self.uses
            .iter()
            .find(|u| Some(u.source) == id && u.span == *name)
            .map(|u| u.ty.display(&self.schema).to_string())
    }
}

/// The record a value of this type has fields of (through `?`).
fn record_of(ty: &Type) -> Option<RecordId> {
    match ty.strip_optional() {
        Type::Record(r) => Some(*r),
        _ => None,
    }
}

/// Every IANA zone (editors filter them as the author types).
fn zone_completions() -> Vec<Completion> {
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| Completion::plain(tz.name(), CompletionKind::Zone, None))
        .collect()
}
