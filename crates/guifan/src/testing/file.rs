//! Reading a `*.test.toml` file and checking it against the rule set, as rule
//! files are checked: a misspelt rule, policy, field or key is an error with
//! its line, never a test that passes without testing anything. Every problem
//! of a file is found, and the cases without problems still run.

use std::collections::BTreeMap;

use crate::Step;
use guifan_eval::{did_you_mean, Program, RecordId, Schema, Type};
use toml_edit::{ImDocument, Item, Table, TableLike};

use super::ArgExpect;

/// A problem in a test file, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestProblem {
    /// 1-based line in the test file
    pub line: usize,
    /// The case it is in, when it is in one
    pub case: Option<String>,
    /// What is wrong, and what to do
    pub message: String,
}

/// A test file whose problems were found.
#[derive(Debug, Default)]
pub struct TestSpec {
    /// The policy under test, whose rules the cases name relative to it
    pub policy: Option<String>,
    /// The record every case starts from
    pub base: Table,
    /// The cases without problems, ready to run
    pub cases: Vec<CaseSpec>,
    /// Every problem found (their cases are left out of `cases`)
    pub problems: Vec<TestProblem>,
    /// The file's parameter overrides (`params = { "a.b" = { cap = 5 } }`),
    /// applied under every case
    pub params: Option<crate::Params>,
}

/// One case, read.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    /// Its name
    pub name: String,
    /// Its line
    pub line: usize,
    /// The evaluation time (the case's, else the file's)
    pub at: String,
    /// Fields merged over the base record
    pub record: Option<Table>,
    /// Several records decided together (each merged over the base record):
    /// a ranking policy ranks them against each other
    pub records: Option<Vec<Table>>,
    /// Decisions per rule (relative names resolved to full IDs)
    pub expect: BTreeMap<String, usize>,
    /// With `records`: decisions per rule for each subject, by ID
    pub expect_by_subject: BTreeMap<String, BTreeMap<String, usize>>,
    /// Whether the policy's rules not named must not fire
    pub exact: bool,
    /// Dotted paths removed from the record
    pub without: Vec<String>,
    /// Text each rule's message must contain (full rule IDs)
    pub message: BTreeMap<String, String>,
    /// Expected effect arguments (full rule IDs)
    pub args: Vec<ArgExpect>,
    /// The case's parameter overrides, over the file's
    pub params: Option<crate::Params>,
}

const FILE_KEYS: [&str; 5] = ["policy", "at", "base", "params", "case"];
const CASE_KEYS: [&str; 10] = [
    "name", "at", "record", "records", "expect", "exact", "without", "message", "args", "params",
];
const ARG_KEYS: [&str; 5] = ["subject", "rule", "effect", "arg", "equals"];

/// Reads and checks a test file against the loaded rules.
pub fn read(program: &Program, text: &str) -> TestSpec {
    let mut cx = Reader {
        program,
        text,
        lines: {
            let mut index = crate::SourceMap::default();
            index.add("test file".into(), text.into());
            index
        },
        problems: Vec::new(),
        case: None,
        base_kind: None,
    };
    let doc = match ImDocument::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let line = e.span().map(|s| cx.line(s.start)).unwrap_or(1);
            cx.problem(line, format!("not valid TOML: {}", e.message()));
            return TestSpec {
                problems: cx.problems,
                ..TestSpec::default()
            };
        }
    };
    let root = doc.as_table();
    cx.unknown_keys(root, &FILE_KEYS, "a test file");
    let policy = cx.policy(root);
    let file_at = cx.string(root, "at");
    if let Some((at, line)) = &file_at {
        cx.timestamp(at, *line);
    }
    let base = match root.get("base") {
        Some(item) => match owned_table(item) {
            Some(owned) => {
                let policy = policy.as_ref().map(|(p, _)| p.as_str());
                cx.record(&owned, policy);
                cx.base_kind = cx.record_kind(&owned, policy);
                owned
            }
            None => {
                let line = cx.item_line(item);
                cx.problem(line, "`base` must be a table of the record's fields".into());
                Table::new()
            }
        },
        None => Table::new(),
    };
    let policy_id = policy.map(|(p, _)| p);
    let mut cases = Vec::new();
    match root.get("case") {
        Some(Item::ArrayOfTables(tables)) => {
            for (index, table) in tables.iter().enumerate() {
                let under = [Step::Key("case".into()), Step::Index(index)];
                if let Some(case) = cx.case(table, policy_id.as_deref(), file_at.as_ref(), &under) {
                    cases.push(case);
                }
            }
        }
        Some(other) => {
            let line = cx.item_line(other);
            cx.problem(line, "cases are `[[case]]` tables".into());
        }
        None => cx.problem(
            1,
            "no `[[case]]`: a test file with no case tests nothing".into(),
        ),
    }
    let params = cx.params(root, Vec::new());
    TestSpec {
        policy: policy_id,
        base,
        cases,
        problems: cx.problems,
        params,
    }
}

struct Reader<'p> {
    program: &'p Program,
    /// The file's text (floats are read from it exactly)
    text: &'p str,
    /// The text's lines (the one line index of every report)
    lines: crate::SourceMap,
    problems: Vec<TestProblem>,
    /// The case being read, for its problems
    case: Option<String>,
    /// The kind of `[base]`'s record, which the cases' records are merged into
    base_kind: Option<RecordId>,
}

impl Reader<'_> {
    fn line(&self, offset: usize) -> usize {
        self.lines.line_col(guifan_syntax::SourceId(0), offset).0
    }

    fn item_line(&self, item: &Item) -> usize {
        item.span().map(|s| self.line(s.start)).unwrap_or(1)
    }

    fn key_line(&self, table: &dyn TableLike, key: &str) -> usize {
        table
            .key(key)
            .and_then(|k| k.span())
            .or_else(|| table.get(key).and_then(Item::span))
            .map(|s| self.line(s.start))
            .unwrap_or(1)
    }

    fn problem(&mut self, line: usize, message: String) {
        self.problems.push(TestProblem {
            line,
            case: self.case.clone(),
            message,
        });
    }

    fn unknown_keys(&mut self, table: &dyn TableLike, known: &[&str], what: &str) {
        for (key, _) in table.iter() {
            if !known.contains(&key) {
                let help = did_you_mean(key, known.iter().copied())
                    .unwrap_or_else(|| format!("the keys are {}", known.join(", ")));
                let line = self.key_line(table, key);
                self.problem(line, format!("unknown key `{key}` in {what}: {help}"));
            }
        }
    }

    /// A string entry and its line; a problem when it is there but not a string.
    fn string(&mut self, table: &dyn TableLike, key: &str) -> Option<(String, usize)> {
        let item = table.get(key)?;
        let line = self.key_line(table, key);
        match item.as_str() {
            Some(s) => Some((s.to_string(), line)),
            None => {
                self.problem(line, format!("`{key}` must be a string"));
                None
            }
        }
    }

    fn timestamp(&mut self, at: &str, line: usize) -> bool {
        match crate::parse_time(at) {
            Ok(_) => true,
            Err(e) => {
                self.problem(line, format!("invalid `at` {at:?}: {e}"));
                false
            }
        }
    }

    fn policy(&mut self, root: &Table) -> Option<(String, usize)> {
        let (id, line) = self.string(root, "policy")?;
        if self.program.policy(&id).is_some() {
            return Some((id, line));
        }
        let ids = self.program.policies().iter().map(|p| &**p.id());
        let help = did_you_mean(&id, ids).unwrap_or_else(|| {
            let all: Vec<&str> = self.program.policies().iter().map(|p| &**p.id()).collect();
            format!("the policies loaded are {}", all.join(", "))
        });
        self.problem(line, format!("no policy `{id}` is loaded: {help}"));
        None
    }

    /// The full ID of a rule named in a case, or a problem.
    fn rule(&mut self, name: &str, policy: Option<&str>, line: usize) -> Option<String> {
        let full = match policy {
            Some(p) if !name.starts_with(&format!("{p}.")) => format!("{p}.{name}"),
            _ => name.to_string(),
        };
        let exists = self
            .program
            .policies()
            .iter()
            .flat_map(|p| p.rules().iter())
            .any(|r| **r.id() == full);
        if exists {
            return Some(full);
        }
        let names: Vec<&str> = match policy.and_then(|p| self.program.policy(p)) {
            Some(p) => p.rules().iter().map(|r| r.name()).collect(),
            None => self
                .program
                .policies()
                .iter()
                .flat_map(|p| p.rules().iter())
                .map(|r| &**r.id())
                .collect(),
        };
        let help = did_you_mean(name, names.iter().copied())
            .unwrap_or_else(|| format!("the rules are {}", names.join(", ")));
        self.problem(line, format!("no rule `{full}`: {help}"));
        None
    }

    /// The kind a record is of: its `kind`, else `[base]`'s, else the policy's subject.
    fn record_kind(&self, record: &Table, policy: Option<&str>) -> Option<RecordId> {
        let schema = &self.program.schema();
        let kind = match record.get("kind").and_then(Item::as_str) {
            Some(k) => schema.kind(k)?,
            None => {
                if let Some(base) = self.base_kind {
                    return Some(base);
                }
                policy
                    .and_then(|p| self.program.policy(p))
                    .map(|p| p.kind())?
            }
        };
        schema.kind_def(kind).map(|k| k.record)
    }

    /// Checks a record's fields (and its nested records') against the schema.
    fn record(&mut self, record: &Table, policy: Option<&str>) {
        if let Some(Item::Value(kind)) = record.get("kind") {
            let name = kind.as_str().unwrap_or_default().to_string();
            if self.program.schema().kind(&name).is_none() {
                let help =
                    did_you_mean(&name, self.program.schema().kind_names()).unwrap_or_default();
                let line = self.key_line(record, "kind");
                self.problem(line, format!("unknown kind `{name}` {help}"));
                return;
            }
        }
        if let Some(root) = self.record_kind(record, policy) {
            self.fields(record, root, "");
        }
    }

    fn fields(&mut self, table: &dyn TableLike, record: RecordId, path: &str) {
        let schema: &Schema = self.program.schema();
        let Some(def) = schema.record(record) else {
            return;
        };
        for (key, item) in table.iter() {
            let at = if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            };
            match def.slot(key).and_then(|s| def.fields.get(s)) {
                Some(field) => self.value(item, &field.ty, &at),
                None => {
                    let names = def.fields.iter().map(|f| f.name.as_str());
                    let help = did_you_mean(key, names)
                        .unwrap_or_else(|| format!("it is not declared on `{}`", def.name));
                    let line = self.key_line(table, key);
                    self.problem(line, format!("unknown field `{at}`: {help}"));
                }
            }
        }
    }

    /// Follows a value into the records it holds.
    fn value(&mut self, item: &Item, ty: &Type, path: &str) {
        match ty {
            Type::Optional(inner) => self.value(item, inner, path),
            Type::Record(id) => {
                if let Some(t) = item.as_table_like() {
                    self.fields(t, *id, path);
                }
            }
            Type::List(inner) => match item {
                Item::ArrayOfTables(a) => {
                    for (i, t) in a.iter().enumerate() {
                        self.value(&Item::Table(t.clone()), inner, &format!("{path}[{i}]"));
                    }
                }
                Item::Value(toml_edit::Value::Array(a)) => {
                    for (i, v) in a.iter().enumerate() {
                        self.value(&Item::Value(v.clone()), inner, &format!("{path}[{i}]"));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// Whether a dotted path names a field of the kind (for `without`).
    fn field_path(&self, record: RecordId, path: &str) -> bool {
        let schema = &self.program.schema();
        let mut current = Some(record);
        for part in path.split('.') {
            let Some(def) = current.and_then(|r| schema.record(r)) else {
                return false;
            };
            let Some(field) = def.slot(part).and_then(|s| def.fields.get(s)) else {
                return false;
            };
            current = match field.ty.strip_optional() {
                Type::Record(id) => Some(*id),
                _ => None,
            };
        }
        true
    }

    fn case(
        &mut self,
        table: &Table,
        policy: Option<&str>,
        file_at: Option<&(String, usize)>,
        under: &[Step],
    ) -> Option<CaseSpec> {
        let line = table.span().map(|s| self.line(s.start)).unwrap_or(1);
        let name = self.string(table, "name");
        self.case = Some(
            name.as_ref()
                .map(|(n, _)| n.clone())
                .unwrap_or_else(|| format!("case at line {line}")),
        );
        let before = self.problems.len();
        if name.is_none() && table.get("name").is_none() {
            self.problem(line, "a case needs a `name`".into());
        }
        self.unknown_keys(table, &CASE_KEYS, "a case");
        let at = match self.string(table, "at").or_else(|| file_at.cloned()) {
            Some((at, at_line)) => self.timestamp(&at, at_line).then_some(at),
            None => {
                self.problem(
                    line,
                    "no `at`: give the evaluation time in the file or the case".into(),
                );
                None
            }
        };
        let record = match table.get("record") {
            Some(item) => match owned_table(item) {
                Some(owned) => {
                    self.record(&owned, policy);
                    Some(owned)
                }
                None => {
                    let l = self.item_line(item);
                    self.problem(l, "`record` must be a table of fields".into());
                    None
                }
            },
            None => None,
        };
        let records = match table.get("records") {
            Some(item) => {
                let tables = tables_of(item);
                if tables.is_empty() {
                    let l = self.item_line(item);
                    self.problem(
                        l,
                        "`records` is a list of records, each merged over `[base]`".into(),
                    );
                }
                if record.is_some() {
                    self.problem(line, "a case has `record` or `records`, not both".into());
                }
                for t in &tables {
                    self.record(t, policy);
                }
                Some(tables)
            }
            None => None,
        };
        let mut expect_by_subject = BTreeMap::new();
        let expect = match table.get("expect").and_then(Item::as_table_like) {
            Some(t) if records.is_some() => {
                // `expect = { "v-1" = { daily_top10 = 1 }, ... }`
                for (subject, item) in t.iter() {
                    match item.as_table_like() {
                        Some(counts) => {
                            let c = self.counts(counts, policy);
                            expect_by_subject.insert(subject.to_string(), c);
                        }
                        None => {
                            let l = self.key_line(t, subject);
                            self.problem(l, format!("with `records`, `expect` holds a table of decisions for each subject: `\"{subject}\" = {{ rule = 1 }}`"));
                        }
                    }
                }
                BTreeMap::new()
            }
            Some(t) => self.counts(t, policy),
            None => {
                self.problem(
                    line,
                    "a case without `expect` asserts nothing: write `expect = { rule = 1 }`, or `expect = {}` with `exact = true`".into(),
                );
                BTreeMap::new()
            }
        };
        let exact = match table.get("exact") {
            Some(item) => match item.as_bool() {
                Some(b) => b,
                None => {
                    let l = self.item_line(item);
                    self.problem(l, "`exact` must be true or false".into());
                    false
                }
            },
            None => false,
        };
        if exact && policy.is_none() {
            self.problem(
                line,
                "`exact = true` needs the file's `policy`: it is scoped to that policy's rules"
                    .into(),
            );
        }
        let without = self.without(table, policy);
        let message = self.messages(table, policy);
        let args = self.args(table, policy);
        if records.is_some() && !message.is_empty() {
            self.problem(line, "`message` is for one record; with `records`, check arguments with `args` (and `subject`)".into());
        }
        if records.is_some() && args.iter().any(|a| a.subject.is_none()) {
            self.problem(
                line,
                "with `records`, each `args` entry names its `subject`".into(),
            );
        }
        let params = self.params(table, under.to_vec());
        let ok = self.problems.len() == before;
        self.case = None;
        Some(CaseSpec {
            name: name.map(|(n, _)| n)?,
            line,
            at: at?,
            record,
            records,
            expect,
            expect_by_subject,
            exact,
            without,
            message,
            args,
            params,
        })
        .filter(|_| ok)
    }

    /// The `params` of a test file or of a case (at `under` in the file): a
    /// table of policies, read as a parameter file is; whether they fit the
    /// rules is known when the cases run.
    fn params(&mut self, table: &dyn TableLike, mut under: Vec<Step>) -> Option<crate::Params> {
        let item = table.get("params")?;
        if item.as_table_like().is_none() {
            let l = self.item_line(item);
            self.problem(
                l,
                "`params` must be a table of policies: `params = { \"a.b\" = { cap = 5 } }`".into(),
            );
            return None;
        }
        under.push(Step::Key("params".into()));
        crate::Params::from_toml_under("test file", self.text, under).ok()
    }

    fn counts(&mut self, t: &dyn TableLike, policy: Option<&str>) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (rule, item) in t.iter() {
            let line = self.key_line(t, rule);
            let n = item.as_integer().and_then(|n| usize::try_from(n).ok());
            let Some(n) = n else {
                self.problem(
                    line,
                    format!("`expect.{rule}` must be a count of decisions (0 or more)"),
                );
                continue;
            };
            if let Some(full) = self.rule(rule, policy, line) {
                out.insert(full, n);
            }
        }
        out
    }

    fn without(&mut self, table: &Table, policy: Option<&str>) -> Vec<String> {
        let Some(item) = table.get("without") else {
            return Vec::new();
        };
        let line = self.item_line(item);
        let Some(array) = item.as_array() else {
            self.problem(line, "`without` is a list of field paths".into());
            return Vec::new();
        };
        let root = self.base_kind.or_else(|| {
            policy
                .and_then(|p| self.program.policy(p))
                .and_then(|p| self.program.schema().kind_def(p.kind()))
                .map(|k| k.record)
        });
        let mut out = Vec::new();
        for v in array.iter() {
            let Some(path) = v.as_str() else {
                self.problem(line, "`without` is a list of field paths".into());
                continue;
            };
            if root.is_some_and(|r| !self.field_path(r, path)) {
                self.problem(
                    line,
                    format!("`without`: no field `{path}` on the policy's subject"),
                );
            }
            out.push(path.to_string());
        }
        out
    }

    fn messages(&mut self, table: &Table, policy: Option<&str>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(t) = table.get("message").and_then(Item::as_table_like) else {
            return out;
        };
        for (rule, item) in t.iter() {
            let line = self.key_line(t, rule);
            let Some(text) = item.as_str() else {
                self.problem(line, format!("`message.{rule}` must be a string"));
                continue;
            };
            if let Some(full) = self.rule(rule, policy, line) {
                out.insert(full, text.to_string());
            }
        }
        out
    }

    fn args(&mut self, table: &Table, policy: Option<&str>) -> Vec<ArgExpect> {
        let Some(item) = table.get("args") else {
            return Vec::new();
        };
        let line = self.item_line(item);
        let entries = tables_of(item);
        if entries.is_empty() {
            self.problem(
                line,
                "`args` is a list of `{ rule, effect, arg, equals }`".into(),
            );
        }
        let mut out = Vec::new();
        for t in entries {
            self.unknown_keys(&t, &ARG_KEYS, "an `args` entry");
            let text = |k: &str| t.get(k).and_then(Item::as_str).map(str::to_string);
            let (Some(rule), Some(effect), Some(arg)) = (text("rule"), text("effect"), text("arg"))
            else {
                self.problem(
                    line,
                    "each `args` entry needs `rule`, `effect`, `arg` and `equals`".into(),
                );
                continue;
            };
            let Some(equals) = t
                .get("equals")
                .and_then(|i| crate::item_to_json(i, self.text).ok())
            else {
                self.problem(line, format!("`args` entry for `{rule}` has no `equals`"));
                continue;
            };
            let Ok(equals) = serde_json::from_str(&equals) else {
                continue;
            };
            // Effects take arguments beyond those declared (`user`, `day`, ...): only the kind is checked.
            if self.program.schema().effect(&effect).is_none() {
                let help =
                    did_you_mean(&effect, self.program.schema().effect_names()).unwrap_or_default();
                self.problem(line, format!("no effect `{effect}` {help}"));
            }
            if let Some(full) = self.rule(&rule, policy, line) {
                out.push(ArgExpect {
                    subject: text("subject"),
                    rule: full,
                    effect,
                    arg,
                    equals,
                });
            }
        }
        out
    }
}

/// The tables of a list of tables (`[[x]]` or `[{ ... }, ...]`); none for anything else.
fn tables_of(item: &Item) -> Vec<Table> {
    match item {
        Item::ArrayOfTables(a) => a.iter().cloned().collect(),
        Item::Value(toml_edit::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_inline_table().map(|t| t.clone().into_table()))
            .collect(),
        _ => Vec::new(),
    }
}

/// A table or inline table as a table (keys keep their places in the file).
fn owned_table(item: &Item) -> Option<Table> {
    match item {
        Item::Table(t) => Some(t.clone()),
        Item::Value(toml_edit::Value::InlineTable(t)) => Some(t.clone().into_table()),
        _ => None,
    }
}
