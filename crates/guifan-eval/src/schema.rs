//! The data schema, declared in the language: subject kinds, record types,
//! effects and platforms, resolved into slot-indexed layouts.

use std::collections::HashMap;
use std::fmt;

use chrono_tz::Tz;
use guifan_syntax::ast::{FieldDecl, Item, RecordDecl, RuleFile, TypeExpr, TypeExprKind};
use guifan_syntax::{SourceId, Span};

use crate::error::{CheckError, CheckErrorKind};
use crate::ids::Currency;
pub use crate::ids::{EffectId, EnumId, KindId, RecordId};
use crate::suggest::did_you_mean;
use crate::types::Type;

/// Slot of the implicit `kind` field in every subject record.
pub const KIND_SLOT: usize = 0;
/// Slot of the implicit `id` field in every subject record.
pub const ID_SLOT: usize = 1;

/// All declared kinds, records, effects and platforms.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// Subject kinds
    pub kinds: Vec<KindDef>,
    /// Record layouts: kinds' roots, named records and inline records
    pub records: Vec<RecordDef>,
    /// Fixed string sets
    pub enums: Vec<Vec<String>>,
    /// Effects
    pub effects: Vec<EffectDef>,
    /// Platforms and their defaults
    pub platforms: Vec<PlatformDef>,
    kind_index: rustc_hash::FxHashMap<String, KindId>,
    effect_index: HashMap<String, EffectId>,
    /// Shared copies of the fixed strings, so decoding them allocates nothing
    interned_enums: Vec<Vec<crate::value::Text>>,
    /// Shared copies of the kind names
    interned_kinds: Vec<crate::value::Text>,
}

/// A subject kind (`merchant`).
#[derive(Clone, Debug)]
pub struct KindDef {
    /// Its name
    pub name: String,
    /// Its root record layout
    pub record: RecordId,
    /// Slot of its `currency` field, when declared
    pub currency_slot: Option<usize>,
    /// Slot of its `platform` field, when declared
    pub platform_slot: Option<usize>,
    /// Whether any field (however deep) holds money
    pub has_money: bool,
}

/// A record layout: fields in slot order.
#[derive(Clone, Debug)]
pub struct RecordDef {
    /// Its name (kinds and named records) or a path for inline records (`merchant.trial`)
    pub name: String,
    /// Fields in slot order
    pub fields: Vec<FieldDef>,
    index: rustc_hash::FxHashMap<String, usize>,
    /// The slots of its required fields, as bits (see [`RecordDef::required_bits`])
    required: u128,
    /// Whether `required` says everything: no field is required only under a
    /// condition, and none lies past the first 128 slots
    required_simple: bool,
}

impl RecordDef {
    /// An empty layout.
    fn empty(name: String) -> RecordDef {
        RecordDef {
            name,
            fields: Vec::new(),
            index: rustc_hash::FxHashMap::default(),
            required: 0,
            required_simple: true,
        }
    }

    /// A layout of `fields` in the order given (a record literal's type).
    pub(crate) fn new(name: String, fields: Vec<FieldDef>) -> RecordDef {
        let mut record = RecordDef::empty(name);
        fields.into_iter().for_each(|f| record.push(f));
        record
    }

    /// Adds a field in the next slot.
    fn push(&mut self, def: FieldDef) {
        let slot = self.fields.len();
        if def.required_when.is_some() || slot >= 128 {
            self.required_simple = false;
        } else if !def.optional {
            self.required |= 1 << slot;
        }
        self.index.insert(def.name.clone(), slot);
        self.fields.push(def);
    }

    /// The slots of the required fields as bits (slot `n` is bit `n`), when
    /// they say everything: `None` when a field is required only under a
    /// condition, or lies past the first 128 slots. A record whose fields
    /// read cover these bits has every field it needs.
    pub(crate) fn required_bits(&self) -> Option<u128> {
        self.required_simple.then_some(self.required)
    }

    /// The slot of a field.
    pub fn slot(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// A field of a record.
#[derive(Clone, Debug)]
pub struct FieldDef {
    /// Its name
    pub name: String,
    /// Its type (never `Optional`: see `optional`)
    pub ty: Type,
    /// May be missing or null
    pub optional: bool,
    /// Required only when the field in this slot has this value (`platform == "douyin"`)
    pub required_when: Option<(usize, String)>,
    /// Where it was declared
    pub source_id: SourceId,
    /// Where it was declared
    pub span: Span,
}

/// An effect and its arguments.
#[derive(Clone, Debug)]
pub struct EffectDef {
    /// Its kind (`restrict`)
    pub name: String,
    /// Declared arguments; optional ones may be left out
    pub params: Vec<FieldDef>,
    /// Where it is declared
    pub declared: (SourceId, Span),
}

/// A platform's defaults.
#[derive(Clone, Debug)]
pub struct PlatformDef {
    /// The value of records' `platform` field
    pub name: String,
    /// The currency of money in records without a `currency` field
    pub currency: Option<Currency>,
    /// The platform's time zone
    pub zone: Option<Tz>,
}

impl Schema {
    /// Looks a kind up by name.
    pub fn kind(&self, name: &str) -> Option<KindId> {
        self.kind_index.get(name).copied()
    }

    /// A kind's definition.
    pub fn kind_def(&self, id: KindId) -> Option<&KindDef> {
        self.kinds.get(id.0 as usize)
    }

    /// A record layout.
    pub fn record(&self, id: RecordId) -> Option<&RecordDef> {
        self.records.get(id.0 as usize)
    }

    /// The strings of a fixed set.
    pub fn enum_values(&self, id: EnumId) -> &[String] {
        self.enums
            .get(id.0 as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The shared copy of a fixed-set string, if it is one of the set.
    pub(crate) fn interned_enum(&self, id: EnumId, value: &str) -> Option<&crate::value::Text> {
        self.interned_enums
            .get(id.0 as usize)?
            .iter()
            .find(|v| &***v == value)
    }

    /// The shared copy of a kind's name.
    pub(crate) fn interned_kind(&self, id: KindId) -> Option<&crate::value::Text> {
        self.interned_kinds.get(id.0 as usize)
    }

    /// Looks an effect up by name.
    pub fn effect(&self, name: &str) -> Option<(EffectId, &EffectDef)> {
        let id = *self.effect_index.get(name)?;
        self.effects.get(id.0 as usize).map(|d| (id, d))
    }

    /// Looks a platform up by name.
    pub fn platform(&self, name: &str) -> Option<&PlatformDef> {
        self.platforms.iter().find(|p| p.name == name)
    }

    /// Names of all effects (for suggestions).
    pub fn effect_names(&self) -> impl Iterator<Item = &str> {
        self.effects.iter().map(|e| e.name.as_str())
    }

    /// Names of all kinds (for suggestions).
    pub fn kind_names(&self) -> impl Iterator<Item = &str> {
        self.kinds.iter().map(|k| k.name.as_str())
    }

    /// Whether money is reachable from a record, through its fields, lists,
    /// maps and nested records. Each record is visited once: records that
    /// refer to themselves (`record Timed { next: [Timed], later: Timed? }`)
    /// would otherwise be walked once per path, exponentially.
    fn record_has_money(&self, root: RecordId) -> bool {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(record) = self.record(id) else {
                continue;
            };
            for f in &record.fields {
                if type_has_money(&f.ty, &mut stack) {
                    return true;
                }
            }
        }
        false
    }
}

/// Whether a type holds money itself; the records it refers to are pushed on `records` to visit.
fn type_has_money(ty: &Type, records: &mut Vec<RecordId>) -> bool {
    match ty {
        Type::Money(_) => true,
        Type::List(t) | Type::Optional(t) => type_has_money(t, records),
        Type::Map(k, v) => type_has_money(k, records) || type_has_money(v, records),
        Type::Record(r) => {
            records.push(*r);
            false
        }
        _ => false,
    }
}

/// Builds the schema from every file's declarations.
pub(crate) fn build(files: &[RuleFile], errors: &mut Vec<CheckError>) -> Schema {
    let mut b = Builder {
        schema: Schema::default(),
        named_records: HashMap::new(),
        errors,
    };
    // Named records first, so that kinds and other records can refer to them in any order.
    for file in files {
        for item in &file.items {
            if let Item::Record(decl) = item {
                b.declare_named_record(file.source, decl);
            }
        }
    }
    for file in files {
        for item in &file.items {
            if let Item::Record(decl) = item {
                if let Some(id) = b.named_records.get(&decl.name.name).copied() {
                    b.fill_record(file.source, id, &decl.fields, &decl.name.name, None);
                }
            }
        }
    }
    for file in files {
        for item in &file.items {
            match item {
                Item::Kind(decl) => b.declare_kind(file.source, decl),
                Item::Effect(decl) => {
                    if b.schema.effect_index.contains_key(&decl.name.name) {
                        b.error(
                            file.source,
                            decl.name.span,
                            duplicate("effect", &decl.name.name),
                        );
                        continue;
                    }
                    for p in decl
                        .params
                        .iter()
                        .filter(|p| is_reserved_argument(&p.name.name))
                    {
                        b.errors
                            .push(reserved_argument(file.source, p.name.span, &p.name.name));
                    }
                    let params = decl
                        .params
                        .iter()
                        .filter(|p| !is_reserved_argument(&p.name.name))
                        .map(|p| b.field(file.source, p, &decl.name.name))
                        .collect();
                    let id = EffectId(b.schema.effects.len() as u32);
                    b.schema.effect_index.insert(decl.name.name.clone(), id);
                    b.schema.effects.push(EffectDef {
                        name: decl.name.name.clone(),
                        params,
                        declared: (file.source, decl.span),
                    });
                }
                Item::Platform(decl) => {
                    let currency = decl
                        .currency
                        .as_ref()
                        .and_then(|c| b.currency(file.source, &c.node, c.span));
                    let zone = decl
                        .zone
                        .as_ref()
                        .and_then(|z| b.zone(file.source, &z.node, z.span));
                    if b.schema.platform(&decl.name.name).is_some() {
                        b.error(
                            file.source,
                            decl.name.span,
                            duplicate("platform", &decl.name.name),
                        );
                    }
                    b.schema.platforms.push(PlatformDef {
                        name: decl.name.name.clone(),
                        currency,
                        zone,
                    });
                }
                Item::Record(_) | Item::Policy(_) => {}
            }
        }
    }
    b.schema.interned_enums = b
        .schema
        .enums
        .iter()
        .map(|values| values.iter().map(crate::value::Text::new).collect())
        .collect();
    b.schema.interned_kinds = b
        .schema
        .kinds
        .iter()
        .map(|k| crate::value::Text::new(&k.name))
        .collect();
    for i in 0..b.schema.kinds.len() {
        let record = b.schema.kinds.get(i).map(|k| k.record);
        if let Some(record) = record {
            let has_money = b.schema.record_has_money(record);
            if let Some(kind) = b.schema.kinds.get_mut(i) {
                kind.has_money = has_money;
            }
        }
    }
    b.schema
}

fn duplicate(what: &'static str, name: &str) -> CheckErrorKind {
    CheckErrorKind::Duplicate {
        what,
        name: name.to_string(),
    }
}

struct Builder<'e> {
    schema: Schema,
    named_records: HashMap<String, RecordId>,
    errors: &'e mut Vec<CheckError>,
}

impl Builder<'_> {
    fn error(&mut self, source: SourceId, span: Span, kind: CheckErrorKind) {
        self.errors.push(CheckError::new(source, span, kind));
    }

    pub(crate) fn currency(
        &mut self,
        source: SourceId,
        code: &str,
        span: Span,
    ) -> Option<Currency> {
        let c = Currency::parse(code);
        if c.is_none() {
            self.error(
                source,
                span,
                CheckErrorKind::InvalidCurrency {
                    code: code.to_string(),
                },
            );
        }
        c
    }

    fn zone(&mut self, source: SourceId, name: &str, span: Span) -> Option<Tz> {
        match parse_zone(name) {
            Some(z) => Some(z),
            None => {
                self.error(
                    source,
                    span,
                    CheckErrorKind::UnknownZone {
                        name: name.to_string(),
                    },
                );
                None
            }
        }
    }

    fn new_record(&mut self, name: &str) -> RecordId {
        let id = RecordId(self.schema.records.len() as u32);
        self.schema.records.push(RecordDef::empty(name.to_string()));
        id
    }

    fn declare_named_record(&mut self, source: SourceId, decl: &RecordDecl) {
        if self.named_records.contains_key(&decl.name.name) || is_builtin_type(&decl.name.name) {
            self.error(source, decl.name.span, duplicate("record", &decl.name.name));
            return;
        }
        let id = self.new_record(&decl.name.name);
        self.named_records.insert(decl.name.name.clone(), id);
    }

    fn declare_kind(&mut self, source: SourceId, decl: &RecordDecl) {
        if self.schema.kind_index.contains_key(&decl.name.name) {
            self.error(source, decl.name.span, duplicate("kind", &decl.name.name));
            return;
        }
        let record = self.new_record(&decl.name.name);
        let implicit = [("kind", KIND_SLOT), ("id", ID_SLOT)];
        for (name, _) in implicit {
            self.push_field(
                record,
                FieldDef {
                    name: name.to_string(),
                    ty: Type::Str,
                    optional: false,
                    required_when: None,
                    source_id: source,
                    span: decl.name.span,
                },
            );
        }
        let mut fields: Vec<FieldDecl> = Vec::with_capacity(decl.fields.len());
        for f in &decl.fields {
            if f.name.name == "kind" || f.name.name == "id" {
                // Every kind has them (strings, required): a declaration could only contradict that.
                let err = CheckError::new(source, f.name.span, duplicate("field", &f.name.name))
                    .with_help(format!(
                        "every kind has `kind` and `id` (required strings); remove this declaration of `{}`",
                        f.name.name
                    ));
                self.errors.push(err);
            } else {
                fields.push(f.clone());
            }
        }
        self.fill_record(source, record, &fields, &decl.name.name, None);
        for variant in &decl.variants {
            let Some(slot) = self
                .schema
                .record(record)
                .and_then(|r| r.slot(&variant.field.name))
            else {
                self.error(
                    source,
                    variant.field.span,
                    CheckErrorKind::UnknownField {
                        name: variant.field.name.clone(),
                        on: format!("`{}`", decl.name.name),
                    },
                );
                continue;
            };
            let when = (slot, variant.value.node.as_str());
            self.fill_record(source, record, &variant.fields, &decl.name.name, Some(when));
        }
        let (currency_slot, platform_slot) = match self.schema.record(record) {
            Some(r) => (r.slot("currency"), r.slot("platform")),
            None => (None, None),
        };
        let id = KindId(self.schema.kinds.len() as u32);
        self.schema.kind_index.insert(decl.name.name.clone(), id);
        self.schema.kinds.push(KindDef {
            name: decl.name.name.clone(),
            record,
            currency_slot,
            platform_slot,
            has_money: false,
        });
    }

    /// Adds fields to a layout; with `required_when`, they are required only
    /// when the field in that slot has that value (a kind's `when` block).
    fn fill_record(
        &mut self,
        source: SourceId,
        record: RecordId,
        fields: &[FieldDecl],
        path: &str,
        required_when: Option<(usize, &str)>,
    ) {
        for f in fields {
            let exists = self
                .schema
                .record(record)
                .and_then(|r| r.slot(&f.name.name))
                .is_some();
            if exists {
                self.error(source, f.name.span, duplicate("field", &f.name.name));
                continue;
            }
            let mut def = self.field(source, f, path);
            if let (Some((slot, value)), false) = (required_when, def.optional) {
                def.optional = true;
                def.required_when = Some((slot, value.to_string()));
            }
            self.push_field(record, def);
        }
    }

    fn push_field(&mut self, record: RecordId, def: FieldDef) {
        if let Some(r) = self.schema.records.get_mut(record.0 as usize) {
            r.push(def);
        }
    }

    fn field(&mut self, source: SourceId, f: &FieldDecl, path: &str) -> FieldDef {
        let inner_path = format!("{path}.{}", f.name.name);
        FieldDef {
            name: f.name.name.clone(),
            ty: self.resolve_type(source, &f.ty, &inner_path),
            optional: f.ty.optional,
            required_when: None,
            source_id: source,
            span: f.name.span,
        }
    }

    /// The type of a list's items or a map's values: optional when written `T?`.
    fn resolve_element(&mut self, source: SourceId, ty: &TypeExpr, path: &str) -> Type {
        let resolved = self.resolve_type(source, ty, path);
        if ty.optional {
            resolved.optional()
        } else {
            resolved
        }
    }

    fn resolve_type(&mut self, source: SourceId, ty: &TypeExpr, path: &str) -> Type {
        match &ty.kind {
            TypeExprKind::Named(name) => match builtin_type(&name.name) {
                Some(t) => t,
                None => match self.named_records.get(&name.name) {
                    Some(id) => Type::Record(*id),
                    None => {
                        let mut known: Vec<&str> = BUILTIN_TYPES.to_vec();
                        known.extend(self.named_records.keys().map(String::as_str));
                        let err = CheckError::new(
                            source,
                            name.span,
                            CheckErrorKind::UnknownType {
                                name: name.name.clone(),
                            },
                        );
                        let err = match did_you_mean(&name.name, known.iter().copied()) {
                            Some(h) => err.with_help(h),
                            None => err.with_help(format!(
                                "the built-in types are {}",
                                BUILTIN_TYPES.join(", ")
                            )),
                        };
                        self.errors.push(err);
                        Type::Error
                    }
                },
            },
            // An item or a map value written `T?` may be absent (`null`);
            // a field's own `?` is kept on the field (`FieldDef::optional`).
            TypeExprKind::List(inner) => {
                Type::List(Box::new(self.resolve_element(source, inner, path)))
            }
            TypeExprKind::Map(k, v) => Type::Map(
                Box::new(self.resolve_type(source, k, path)),
                Box::new(self.resolve_element(source, v, path)),
            ),
            TypeExprKind::Enum(values) => {
                let values: Vec<String> = values.iter().map(|v| v.node.clone()).collect();
                let id = match self.schema.enums.iter().position(|e| *e == values) {
                    Some(i) => EnumId(i as u32),
                    None => {
                        // Interned too: enums declared by parameters come after the schema's.
                        self.schema
                            .interned_enums
                            .push(values.iter().map(crate::value::Text::new).collect());
                        self.schema.enums.push(values);
                        EnumId(self.schema.enums.len() as u32 - 1)
                    }
                };
                Type::Enum(id)
            }
            TypeExprKind::Record(fields) => {
                let id = self.new_record(path);
                self.fill_record(source, id, fields, path, None);
                Type::Record(id)
            }
        }
    }
}

const BUILTIN_TYPES: [&str; 12] = [
    "bool",
    "int",
    "decimal",
    "money",
    "percent",
    "string",
    "date",
    "timestamp",
    "time",
    "duration",
    "text",
    "any",
];

fn is_builtin_type(name: &str) -> bool {
    builtin_type(name).is_some()
}

/// The built-in type of a name (`money`), if it is one.
pub(crate) fn builtin_type(name: &str) -> Option<Type> {
    Some(match name {
        "bool" => Type::Bool,
        "int" => Type::Int,
        "decimal" => Type::Decimal,
        "money" => Type::Money(None),
        "percent" => Type::Percent,
        "string" | "text" => Type::Str,
        "date" => Type::Date,
        "timestamp" => Type::Timestamp,
        "time" => Type::Time,
        "duration" => Type::Duration,
        "period" => Type::Period,
        "any" => Type::Any,
        _ => return None,
    })
}

/// Parses an IANA zone name.
pub(crate) fn parse_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// Resolves a parameter's declared type in the context of a schema (named records allowed).
pub(crate) fn resolve_param_type(
    schema: &mut Schema,
    source: SourceId,
    ty: &TypeExpr,
    path: &str,
    errors: &mut Vec<CheckError>,
) -> Type {
    let named_records: HashMap<String, RecordId> = schema
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.name.contains('.'))
        .map(|(i, r)| (r.name.clone(), RecordId(i as u32)))
        .collect();
    let mut b = Builder {
        schema: std::mem::take(schema),
        named_records,
        errors,
    };
    let t = b.resolve_type(source, ty, path);
    *schema = b.schema;
    t
}

/// Member names an effect's output object writes itself: an argument may not
/// take one, or the object would carry it twice
/// (`{"kind":"reward","kind":"traffic"}`, read by JSON parsers as the last).
pub const RESERVED_ARGUMENTS: [&str; 1] = ["kind"];

/// Whether `name` is one of [`RESERVED_ARGUMENTS`].
pub(crate) fn is_reserved_argument(name: &str) -> bool {
    RESERVED_ARGUMENTS.contains(&name)
}

/// The error for an argument named like a reserved member, with advice.
pub(crate) fn reserved_argument(source: SourceId, span: Span, name: &str) -> CheckError {
    CheckError::new(
        source,
        span,
        CheckErrorKind::ReservedArgument {
            name: name.to_string(),
        },
    )
    .with_label("the effect's own member")
    .with_help(
        "the output writes the effect as `{\"kind\": <effect>, ...arguments}`: give this argument another name, such as `type`",
    )
}

impl Type {
    /// Displays the type with record and enum names resolved.
    pub fn display<'a>(&'a self, schema: &'a Schema) -> TypeDisplay<'a> {
        TypeDisplay { ty: self, schema }
    }
}

/// A type with the schema at hand to name records and enums.
pub struct TypeDisplay<'a> {
    ty: &'a Type,
    schema: &'a Schema,
}

impl fmt::Display for TypeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ty {
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Decimal => f.write_str("decimal"),
            Type::Money(None) => f.write_str("money"),
            Type::Money(Some(c)) => write!(f, "money ({c})"),
            Type::Percent => f.write_str("percent"),
            Type::Str => f.write_str("string"),
            Type::Enum(id) => {
                let values = self.schema.enum_values(*id);
                let shown: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                f.write_str(&shown.join(" | "))
            }
            Type::Date => f.write_str("date"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Time => f.write_str("time"),
            Type::Duration => f.write_str("duration"),
            Type::Period => f.write_str("period"),
            Type::List(t) => write!(f, "[{}]", t.display(self.schema)),
            Type::Map(k, v) => write!(
                f,
                "map<{}, {}>",
                k.display(self.schema),
                v.display(self.schema)
            ),
            Type::Record(id) => f.write_str(
                self.schema
                    .record(*id)
                    .map(|r| r.name.as_str())
                    .unwrap_or("record"),
            ),
            Type::Optional(t) => write!(f, "{}?", t.display(self.schema)),
            Type::Any => f.write_str("any"),
            Type::Nothing => f.write_str("nothing"),
            Type::Error => f.write_str("unknown"),
        }
    }
}
