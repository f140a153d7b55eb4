//! Deployment parameters: the one format every surface reads (`--params` of
//! each command, the service, test files, the library), applied to a rule set
//! whole or not at all, every problem reported with its line.
//!
//! ```toml
//! ["douyin.zero_deposit_trial"]
//! personal_listing_cap = 120
//! min_withdrawal = "200.00 CNY"
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use guifan_syntax::diagnostic::{At, Diagnostic, Label};
use toml_edit::{ImDocument, Item, TableLike};

use crate::error::ParamError;
use crate::settings::problem;
use crate::sources::SourceMap;

/// Overrides of policy parameters, in layers applied in order (a later layer
/// wins): TOML documents, or parts of them, and values set one by one.
///
/// ```
/// let params = guifan::Params::from_toml("deploy.toml", "[\"a.b\"]\ncap = 5\n")?;
/// let rules = guifan::RuleSet::from_sources([(
///     "p.policy",
///     "kind k { n: int } effect e policy a.b { subject k zone UTC param cap: int = 100 rule r { when n > cap then e } }",
/// )])?
/// .with_params(&params)?;
/// let now = "2024-01-01T00:00:00Z".parse()?;
/// assert_eq!(rules.decide_json(br#"{"kind":"k","id":"x","n":6}"#, now)?.decisions().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Params {
    layers: Vec<Layer>,
}

#[derive(Clone, Debug)]
enum Layer {
    /// A TOML document, or the table at `under` in it (a test file's `params`)
    Toml {
        name: PathBuf,
        text: Arc<str>,
        under: Vec<Step>,
    },
    /// One value, JSON text of the parameter's type
    Value {
        policy: String,
        name: String,
        json: String,
    },
}

/// A step from a TOML document's root to the table of parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A key of a table
    Key(String),
    /// An element of an array of tables (`[[case]]`), from 0
    Index(usize),
}

/// Why parameters could not be read or applied: the file cannot be read,
/// or overrides that are not TOML, name no policy or parameter, do not fit
/// their parameter or leave a requirement unmet (every one, none applied).
pub type ParamsError = crate::settings::SettingsError;

impl Params {
    /// No overrides.
    pub fn new() -> Params {
        Params::default()
    }

    /// Overrides from TOML text named `name` (for its problems' lines). The
    /// text must be TOML; whether it fits the rules is known when applied.
    pub fn from_toml(name: impl Into<PathBuf>, text: &str) -> Result<Params, ParamsError> {
        Params::from_toml_under(name, text, Vec::new())
    }

    /// Overrides from the table at `under` in a TOML document: a test file's
    /// `params` (`[Step::Key("params")]`) or a case's.
    pub fn from_toml_under(
        name: impl Into<PathBuf>,
        text: &str,
        under: Vec<Step>,
    ) -> Result<Params, ParamsError> {
        let name = name.into();
        if let Err(e) = ImDocument::parse(text) {
            let mut sources = SourceMap::default();
            let id = sources.add(name, Arc::from(text));
            let span = e.span().unwrap_or(0..0);
            let d = problem(
                "guifan::params::invalid",
                format!("not valid TOML: {}", e.message().trim()),
                id,
                span,
            );
            return Err(ParamsError::invalid(sources, vec![d]));
        }
        Ok(Params {
            layers: vec![Layer::Toml {
                name,
                text: Arc::from(text),
                under,
            }],
        })
    }

    /// Overrides from a TOML file: a regular file of at most
    /// [`crate::MAX_RULE_FILE_BYTES`], in UTF-8.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Params, ParamsError> {
        let path = path.as_ref();
        Params::from_toml(path, &crate::settings::read(path)?)
    }

    /// Sets one parameter to JSON text of its type (`120`, `"300.00 CNY"`,
    /// `["telegram"]`), over the layers before it.
    pub fn set(&mut self, policy: &str, name: &str, json: &str) -> &mut Params {
        self.layers.push(Layer::Value {
            policy: policy.to_string(),
            name: name.to_string(),
            json: json.to_string(),
        });
        self
    }

    /// These overrides, then `later`'s over them.
    pub fn then(&self, later: &Params) -> Params {
        let mut layers = self.layers.clone();
        layers.extend(later.layers.iter().cloned());
        Params { layers }
    }

    /// Whether there is no override.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// A fingerprint of the overrides, for a rule set's revision.
    pub(crate) fn digest_into(&self, hash: &mut impl sha2::Digest) {
        for layer in &self.layers {
            match layer {
                Layer::Toml { text, under, .. } => {
                    hash.update(b"toml\0");
                    hash.update(text.as_bytes());
                    hash.update(format!("{under:?}").as_bytes());
                }
                Layer::Value { policy, name, json } => {
                    for part in ["value", policy, name, json] {
                        hash.update(part.as_bytes());
                        hash.update([0]);
                    }
                }
            }
        }
    }

    /// Applies every layer to `program`, collecting every problem, then
    /// holds the result to the policies' requirements (`require`), whose
    /// text is in `rules`.
    pub(crate) fn apply(
        &self,
        program: &mut guifan_eval::Program,
        rules: &SourceMap,
    ) -> Result<(), ParamsError> {
        let mut sources = SourceMap::default();
        let mut problems = Vec::new();
        for layer in &self.layers {
            match layer {
                Layer::Value { policy, name, json } => {
                    if let Err(e) = program.set_param(policy, name, json) {
                        let d = Diagnostic::new(
                            e.code(),
                            with_suggestion(&e, program),
                            Label {
                                at: At::File(format!("{policy}.{name}")),
                                message: None,
                            },
                        );
                        problems.push(d);
                    }
                }
                Layer::Toml { name, text, under } => {
                    let id = sources.add(name.clone(), text.clone());
                    apply_toml(program, text, under, id, &mut problems);
                }
            }
        }
        if problems.is_empty() {
            problems = unmet(program, rules, &self.layers);
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(ParamsError::invalid(sources, problems))
    }
}

/// The policies' requirements the overrides leave unmet: each names the
/// condition, where it is written, and the policy's message; it is placed at
/// the (last) parameter file, the overrides being what changed.
fn unmet(program: &guifan_eval::Program, rules: &SourceMap, layers: &[Layer]) -> Vec<Diagnostic> {
    let file = layers.iter().rev().find_map(|l| match l {
        Layer::Toml { name, .. } => Some(name.display().to_string()),
        Layer::Value { .. } => None,
    });
    let mut out = Vec::new();
    for policy in program.policies() {
        for r in guifan_eval::unmet_requirements(policy) {
            let span = r.condition_span();
            let id = policy.source_id();
            let text = rules
                .text(id)
                .and_then(|t| t.get(span.start as usize..span.end as usize))
                .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            let (line, _) = rules.line_col(id, span.start as usize);
            let place = rules
                .path(id)
                .map(|p| format!("{}:{line}", p.display()))
                .unwrap_or_default();
            let because = r.message().map(|m| format!(": {m}")).unwrap_or_default();
            let d = Diagnostic::new(
                "guifan::params::unmet_requirement",
                format!(
                    "the overrides do not meet `require {text}` of policy `{}` ({place}){because}",
                    policy.id()
                ),
                Label {
                    at: At::File(file.clone().unwrap_or_else(|| policy.id().to_string())),
                    message: None,
                },
            );
            out.push(d);
        }
    }
    out
}

/// A parameter error's message, with the name it is closest to (then the
/// list of a policy's parameters is left out).
fn with_suggestion(e: &ParamError, program: &guifan_eval::Program) -> String {
    let ids = || program.policies().iter().map(|p| &**p.id());
    match e {
        ParamError::UnknownPolicy { policy } => match guifan_eval::did_you_mean(policy, ids()) {
            Some(h) => format!("{e}; {h}"),
            None => e.to_string(),
        },
        ParamError::UnknownParam {
            policy,
            name,
            known,
        } => match guifan_eval::did_you_mean(name, known.iter().map(String::as_str)) {
            Some(h) => format!("policy `{policy}` has no parameter `{name}`; {h}"),
            None => e.to_string(),
        },
        _ => e.to_string(),
    }
}

/// The table of parameters at `under`, if there is one.
fn table_at<'d>(root: &'d toml_edit::Table, under: &[Step]) -> Option<&'d dyn TableLike> {
    let mut table: &dyn TableLike = root;
    let mut steps = under.iter().peekable();
    while let Some(step) = steps.next() {
        let Step::Key(key) = step else {
            return None; // an index follows the key of its array
        };
        let item = table.get(key)?;
        table = match steps.peek() {
            Some(Step::Index(i)) => {
                let i = *i;
                steps.next();
                item.as_array_of_tables()?.get(i)?
            }
            _ => item.as_table_like()?,
        };
    }
    Some(table)
}

/// Applies the overrides of one TOML document: a table per policy, quoted
/// (`["douyin.zero_deposit_trial"]`) or as TOML's nested tables
/// (`[douyin.zero_deposit_trial]`), both naming the same policy.
fn apply_toml(
    program: &mut guifan_eval::Program,
    text: &str,
    under: &[Step],
    id: guifan_syntax::SourceId,
    problems: &mut Vec<Diagnostic>,
) {
    let Ok(doc) = ImDocument::parse(text) else {
        return; // refused when the layer was made
    };
    let Some(root) = table_at(doc.as_table(), under) else {
        return;
    };
    let span_of = |item: &Item| item.span().unwrap_or(0..0);
    let mut found = Vec::new();
    // (the policy ID so far, its table, where its name is), walked without recursion.
    let mut pending: Vec<(String, &dyn TableLike, std::ops::Range<usize>)> = Vec::new();
    for (key, item) in root.iter() {
        let at = root
            .key(key)
            .and_then(|k| k.span())
            .unwrap_or_else(|| span_of(item));
        match item.as_table_like() {
            Some(table) => pending.push((key.to_string(), table, at)),
            None => found.push(
                problem(
                    "guifan::params::invalid",
                    format!("`{key}` must be a table of a policy's parameters"),
                    id,
                    at,
                )
                .with_help(format!("write the policy's ID as a table: [\"{key}\"]")),
            ),
        }
    }
    pending.reverse();
    while let Some((policy, table, at)) = pending.pop() {
        if program.policy(&policy).is_some() {
            for (name, value) in table.iter() {
                let value_at = span_of(value);
                let key_at = table
                    .key(name)
                    .and_then(|k| k.span())
                    .unwrap_or(value_at.clone());
                let outcome = crate::item_to_json(value, text)
                    .map_err(|message| ParamError::Invalid {
                        policy: policy.clone(),
                        name: name.to_string(),
                        message,
                    })
                    .and_then(|json| program.set_param(&policy, name, &json));
                if let Err(e) = outcome {
                    let at = match e {
                        ParamError::UnknownParam { .. } => key_at,
                        _ => value_at,
                    };
                    found.push(problem(e.code(), with_suggestion(&e, program), id, at));
                }
            }
            continue;
        }
        // `[douyin.zero_deposit_trial]` is `douyin` holding `zero_deposit_trial`.
        let mut nested = Vec::new();
        let mut leaf = false;
        for (key, item) in table.iter() {
            match item.as_table_like() {
                Some(inner) => {
                    let inner_at = table.key(key).and_then(|k| k.span()).unwrap_or(at.clone());
                    nested.push((format!("{policy}.{key}"), inner, inner_at));
                }
                None => leaf = true,
            }
        }
        // Values directly in it: it was meant as a policy's table.
        if leaf || nested.is_empty() {
            let e = ParamError::UnknownPolicy {
                policy: policy.clone(),
            };
            found.push(problem(e.code(), with_suggestion(&e, program), id, at));
        }
        nested.reverse();
        pending.extend(nested);
    }
    // In file order, whatever the nesting.
    found.sort_by_key(|d| match &d.primary.at {
        At::Source(_, span) => span.start,
        _ => 0,
    });
    problems.extend(found);
}

#[cfg(test)]
mod tests {
    use super::{Params, Step};
    use crate::RuleSet;

    const POLICY: &str = "kind k { n: int } effect e policy a.b { subject k zone UTC param cap: int = 100 param floor: int = 0 rule r { when n > cap and n > floor then e message \"{cap}\" } }";

    fn rules() -> RuleSet {
        RuleSet::from_sources([("p.policy", POLICY)]).unwrap()
    }

    /// The message of the decision on a record with `n`, if any.
    fn decide(rules: &RuleSet, n: i64) -> Option<String> {
        let now = "2024-01-01T00:00:00Z".parse().unwrap();
        let record = format!(r#"{{"kind":"k","id":"x","n":{n}}}"#);
        let decided = rules.decide_json(record.as_bytes(), now).unwrap();
        decided
            .decisions()
            .first()
            .and_then(|d| d.message().map(str::to_string))
    }

    #[test]
    fn nothing_applies_when_one_override_is_wrong() {
        let mut rules = rules();
        let before = rules.revision().to_string();
        let params = Params::from_toml("d.toml", "[\"a.b\"]\ncap = 5\nfloor = \"x\"\n").unwrap();
        let err = rules.set_params(&params).unwrap_err();
        assert_eq!(err.problems().len(), 1);
        assert_eq!(err.code(), "guifan::params::invalid");
        assert_eq!(err.problems()[0].position(), (3, 9));
        assert_eq!(decide(&rules, 6), None, "cap = 5 was applied");
        assert_eq!(rules.revision(), before);
        assert!(rules.params().is_empty());
    }

    #[test]
    fn later_layers_win_and_change_the_revision() {
        let base = rules();
        let mut params = Params::from_toml("d.toml", "[a.b]\ncap = 5\n").unwrap();
        params.set("a.b", "cap", "7");
        let rules = base.with_params(&params).unwrap();
        assert_eq!(decide(&rules, 8).as_deref(), Some("7"));
        assert_eq!(decide(&rules, 7), None);
        assert_ne!(rules.revision(), base.revision());
        // The same overrides, the same revision; none, the files' own.
        assert_eq!(
            base.with_params(&params).unwrap().revision(),
            rules.revision()
        );
        assert_eq!(
            base.with_params(&Params::new()).unwrap().revision(),
            base.revision()
        );
        // Applied on top of the ones in force.
        let more = rules
            .with_params(&Params::from_toml("e.toml", "[\"a.b\"]\nfloor = 50\n").unwrap())
            .unwrap();
        assert_eq!(decide(&more, 20), None);
        assert_eq!(decide(&more, 51).as_deref(), Some("7"));
    }

    #[test]
    fn a_table_inside_a_document_is_read_at_its_place() {
        let text =
            "[[case]]\nname = \"a\"\n[[case]]\nname = \"b\"\nparams = { \"a.b\" = { cap = 3 } }\n";
        let under = vec![
            Step::Key("case".into()),
            Step::Index(1),
            Step::Key("params".into()),
        ];
        let params = Params::from_toml_under("t.toml", text, under).unwrap();
        assert_eq!(
            decide(&rules().with_params(&params).unwrap(), 4).as_deref(),
            Some("3")
        );
        // Nothing at the place: no override.
        let nowhere = vec![Step::Key("case".into()), Step::Index(5)];
        let params = Params::from_toml_under("t.toml", text, nowhere).unwrap();
        assert_eq!(decide(&rules().with_params(&params).unwrap(), 4), None);
    }

    #[test]
    fn overrides_are_held_to_the_policys_requirements_as_a_whole() {
        let policy = "kind k { n: int } effect e policy a.b { subject k zone UTC param warn: int = 10 param stop: int = 20 require warn < stop \"warn first\" rule r { when n > warn then e } }";
        let rules = RuleSet::from_sources([("p.policy", policy)]).unwrap();
        // Each alone would break it for a moment; together they meet it.
        let both = Params::from_toml("d.toml", "[\"a.b\"]\nwarn = 25\nstop = 30\n").unwrap();
        assert!(rules.with_params(&both).is_ok());
        let bad = Params::from_toml("d.toml", "[\"a.b\"]\nwarn = 25\n").unwrap();
        let err = rules.with_params(&bad).unwrap_err();
        assert_eq!(err.code(), "guifan::params::unmet_requirement");
        assert_eq!(
            err.problems()[0].message(),
            "the overrides do not meet `require warn < stop` of policy `a.b` (p.policy:1): warn first"
        );
        assert_eq!(err.problems()[0].file(), "d.toml");
    }

    #[test]
    fn every_problem_is_found_with_the_closest_name() {
        let text = "[a.c]\ncap = 1\n[\"a.b\"]\ncaps = 1\nfloor = []\n[a]\nb = 1\nplain = 2\n";
        let err = rules()
            .with_params(&Params::from_toml("d.toml", text).unwrap())
            .unwrap_err();
        let found: Vec<(&str, usize)> = err
            .problems()
            .iter()
            .map(|p| (p.code(), p.position().0))
            .collect();
        assert_eq!(
            found,
            [
                ("guifan::params::unknown_policy", 1),
                ("guifan::params::unknown_param", 4),
                ("guifan::params::invalid", 5),
                ("guifan::params::unknown_policy", 6),
            ]
        );
        assert!(err.problems()[0].message().ends_with("did you mean `a.b`?"));
        assert!(err.problems()[1].message().ends_with("did you mean `cap`?"));
        let bad = Params::from_toml("d.toml", "[a.b\ncap = 1").unwrap_err();
        assert_eq!(bad.problems()[0].position().0, 1);
    }
}
