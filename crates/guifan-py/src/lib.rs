//! `guifan._guifan`: the native core of the Python package `guifan`.
//!
//! A [`Rules`] holds one loaded rule set. Deciding releases the GIL, and a
//! `Rules` may be shared by threads: parameters are set by swapping in a
//! new rule set, never by changing one being read. Records come and go as
//! JSON text or Arrow batches (through the Arrow C data interface, with no
//! copy of the input); `python/guifan/__init__.py` turns them into Python
//! values. Errors are exceptions carrying a code, a message, and where.

use std::sync::{Arc, RwLock};

use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use guifan::arrow::RecordBatch;
use guifan::{DateTime, FixedOffset};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::IntoPyObjectExt;

create_exception!(
    _guifan,
    GuifanError,
    PyException,
    "Something Guifan could not do: `code` names it (guifan::...), `message` says it."
);
create_exception!(
    _guifan,
    RulesError,
    GuifanError,
    "Rule files that do not load: `problems` lists each one with `file`, `line` and `column`."
);
create_exception!(
    _guifan,
    DataError,
    GuifanError,
    "A record that does not fit the schema: `path` is the field, `line` the record's line or row."
);
create_exception!(
    _guifan,
    ParamError,
    GuifanError,
    "A parameter value that does not fit its declaration."
);

/// An exception of type `T` with its attributes set.
fn error<T: pyo3::PyTypeInfo>(
    py: Python<'_>,
    message: String,
    attributes: &[(&str, Py<PyAny>)],
) -> PyErr {
    let err = PyErr::new::<T, _>(message.clone());
    let value = err.value(py);
    let _ = value.setattr("message", message);
    for (name, v) in attributes {
        let _ = value.setattr(*name, v);
    }
    err
}

fn obj<'py, T: IntoPyObjectExt<'py>>(py: Python<'py>, v: T) -> Py<PyAny> {
    v.into_py_any(py).unwrap_or_else(|_| py.None())
}

/// A load error as `RulesError`: the first problem's place on the exception,
/// every problem in `problems` (dicts of code, message, file, line, column).
fn rules_error(py: Python<'_>, e: &guifan::LoadError) -> PyErr {
    let problems: Vec<Py<PyAny>> = e
        .problems()
        .iter()
        .map(|p| {
            let dict = pyo3::types::PyDict::new(py);
            let _ = dict.set_item("code", p.code());
            let _ = dict.set_item("message", p.message());
            let (line, column) = p.position();
            let _ = dict.set_item("file", p.file());
            let _ = dict.set_item("line", line);
            let _ = dict.set_item("column", column);
            dict.into_any().unbind()
        })
        .collect();
    let first = e.problems().first();
    error::<RulesError>(
        py,
        e.to_string(),
        &[
            ("code", obj(py, e.code())),
            ("file", obj(py, first.map(|p| p.file().to_string()))),
            ("line", obj(py, first.map(|p| p.position().0))),
            ("column", obj(py, first.map(|p| p.position().1))),
            ("problems", obj(py, problems)),
        ],
    )
}

fn data_error(py: Python<'_>, e: &guifan::RecordError) -> PyErr {
    error::<DataError>(
        py,
        e.to_string(),
        &[
            ("code", obj(py, e.code())),
            ("path", obj(py, e.path())),
            ("line", obj(py, e.line())),
            ("id", obj(py, e.id())),
        ],
    )
}

fn time(py: Python<'_>, at: &str) -> PyResult<DateTime<FixedOffset>> {
    guifan::parse_time(at).map_err(|e| {
        error::<GuifanError>(
            py,
            e.to_string(),
            &[("code", obj(py, "guifan::python::invalid_time"))],
        )
    })
}

/// JSON Lines decided as one population (ranked together): a JSON array
/// with, per record, its decision record (written straight into the answer,
/// [`guifan::RuleSet::decide_json_to`]) or `{"line", "id", "error"}`.
fn decide_lines(
    rules: &guifan::RuleSet,
    data: &[u8],
    now: DateTime<FixedOffset>,
) -> Result<Vec<u8>, guifan::data::InputError> {
    let records = guifan::data::records(data, guifan::data::InputFormat::Jsonl)?;
    let ranked = rules.ranked_records(&records, now, &mut |_| {});
    let mut out = vec![b'['];
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match ranked.decide_json_to(&record.json, now, &mut out) {
            // The decision record without its line end.
            Ok(_) => {
                out.pop();
            }
            Err(e) => {
                let e = e.at(record.line);
                let _ = serde_json::to_writer(
                    &mut out,
                    &serde_json::json!({
                        "line": e.line(),
                        "id": e.id(),
                        "error": {"code": e.code(), "path": e.path(), "message": e.to_string()},
                    }),
                );
            }
        }
    }
    out.push(b']');
    Ok(out)
}

fn column_error(py: Python<'_>, e: &guifan::arrow::ColumnError) -> PyErr {
    error::<DataError>(
        py,
        e.to_string(),
        &[
            ("code", obj(py, "guifan::data::unreadable_column")),
            ("path", obj(py, e.column.clone())),
            ("line", py.None()),
            ("id", py.None()),
        ],
    )
}

/// A loaded rule set (`guifan.RuleSet` wraps it).
#[pyclass(frozen, module = "guifan._guifan")]
struct Rules {
    inner: RwLock<Arc<guifan::RuleSet>>,
}

impl Rules {
    fn of(rules: guifan::RuleSet) -> Rules {
        Rules {
            inner: RwLock::new(Arc::new(rules)),
        }
    }

    /// The rule set in force (a cheap shared handle).
    fn current(&self) -> Arc<guifan::RuleSet> {
        match self.inner.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

#[pymethods]
impl Rules {
    /// Loads and checks every rule file under a directory.
    #[staticmethod]
    fn from_dir(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Rules> {
        py.detach(|| guifan::RuleSet::from_dir(&path))
            .map(Rules::of)
            .map_err(|e| rules_error(py, &e))
    }

    /// Loads and checks rule files given as (name, text) pairs.
    #[staticmethod]
    fn from_sources(py: Python<'_>, sources: Vec<(String, String)>) -> PyResult<Rules> {
        py.detach(|| guifan::RuleSet::from_sources(sources))
            .map(Rules::of)
            .map_err(|e| rules_error(py, &e))
    }

    /// Sets a parameter of a policy from its value as JSON text.
    fn set_param(&self, py: Python<'_>, policy: &str, name: &str, json: &str) -> PyResult<()> {
        let mut one = guifan::Params::new();
        one.set(policy, name, json);
        // Under the write lock: two threads setting parameters lose neither.
        let mut current = match self.inner.write() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        let next = current.with_params(&one).map_err(|e| {
            let code = e
                .problems()
                .first()
                .map_or("guifan::params::invalid", |p| p.code());
            error::<ParamError>(
                py,
                e.to_string(),
                &[
                    ("code", obj(py, code)),
                    ("policy", obj(py, policy)),
                    ("name", obj(py, name)),
                ],
            )
        })?;
        *current = Arc::new(next);
        Ok(())
    }

    /// The rule set's revision (a digest of its files and parameters).
    #[getter]
    fn revision(&self) -> String {
        self.current().revision().to_string()
    }

    /// The policies' IDs.
    #[getter]
    fn policies(&self) -> Vec<String> {
        self.current().policies().map(str::to_string).collect()
    }

    /// Whether a policy ranks subjects against each other.
    #[getter]
    fn needs_ranks(&self) -> bool {
        self.current().needs_ranks()
    }

    /// Decides one record given as JSON; answers the decision record as JSON.
    fn decide_json(&self, py: Python<'_>, record: &[u8], at: &str) -> PyResult<String> {
        let now = time(py, at)?;
        let rules = self.current();
        let record = record.to_vec();
        let mut out = Vec::new();
        let written = py.detach(|| rules.decide_json_to(&record, now, &mut out));
        match written {
            Ok(_) => {
                // The decision record without its line end.
                out.pop();
                String::from_utf8(out).map_err(|e| PyException::new_err(e.to_string()))
            }
            Err(e) => Err(data_error(py, &e)),
        }
    }

    /// Decides JSON Lines (ranked together as one population): a JSON array
    /// with, per record, its decision record or `{"line", "id", "error"}`.
    fn decide_jsonl(&self, py: Python<'_>, data: &[u8], at: &str) -> PyResult<String> {
        let now = time(py, at)?;
        let rules = self.current();
        let data = data.to_vec();
        let answers = py.detach(|| decide_lines(&rules, &data, now));
        let answers = answers.map_err(|e| {
            error::<DataError>(
                py,
                e.to_string(),
                &[
                    ("code", obj(py, "guifan::data::invalid")),
                    ("line", obj(py, e.line)),
                ],
            )
        })?;
        String::from_utf8(answers).map_err(|e| PyException::new_err(e.to_string()))
    }

    /// Decides every row of a pyarrow RecordBatch; answers the decision table
    /// as a pyarrow RecordBatch.
    fn decide_arrow<'py>(
        &self,
        py: Python<'py>,
        batch: &Bound<'py, PyAny>,
        at: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let now = time(py, at)?;
        let batch = RecordBatch::from_pyarrow_bound(batch)?;
        let rules = self.current();
        let decided = py.detach(|| rules.decide_arrow(&batch, now));
        let decided = decided.map_err(|e| column_error(py, &e))?;
        decided.to_pyarrow(py)
    }

    /// The ranking keys of a pyarrow RecordBatch's rows, as text for
    /// `with_rank_keys` (the first pass over a population split in parts).
    fn rank_keys_arrow(
        &self,
        py: Python<'_>,
        batch: &Bound<'_, PyAny>,
        at: &str,
    ) -> PyResult<String> {
        let now = time(py, at)?;
        let batch = RecordBatch::from_pyarrow_bound(batch)?;
        let rules = self.current();
        let keys = py.detach(|| {
            rules
                .batch_records(&batch, 1)
                .map(|records| rules.rank_keys_text(&records, now))
        });
        keys.map_err(|e| column_error(py, &e))
    }

    /// The ranking keys of JSON Lines, as text for `with_rank_keys`.
    fn rank_keys_jsonl(&self, py: Python<'_>, data: &[u8], at: &str) -> PyResult<String> {
        let now = time(py, at)?;
        let rules = self.current();
        let records =
            guifan::data::records(data, guifan::data::InputFormat::Jsonl).map_err(|e| {
                error::<DataError>(
                    py,
                    e.to_string(),
                    &[("code", obj(py, "guifan::data::invalid"))],
                )
            })?;
        Ok(py.detach(|| rules.rank_keys_text(&records, now)))
    }

    /// This rule set with the places that ranking keys from every part of a
    /// population give.
    fn with_rank_keys(&self, py: Python<'_>, parts: Vec<String>) -> PyResult<Rules> {
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        self.current()
            .with_rank_keys_text(&parts)
            .map(Rules::of)
            .map_err(|e| {
                error::<GuifanError>(
                    py,
                    e.to_string(),
                    &[("code", obj(py, "guifan::python::invalid_rank_keys"))],
                )
            })
    }

    /// The decision table's schema as a pyarrow Schema.
    #[staticmethod]
    fn decisions_schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        guifan::arrow::decisions_schema().as_ref().to_pyarrow(py)
    }

    fn __repr__(&self) -> String {
        let rules = self.current();
        format!(
            "<guifan rules {} ({} policies)>",
            rules.revision(),
            rules.policies().count()
        )
    }
}

/// The version of the Guifan engine.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Bytes' length, for the tests of zero-copy hand-over (a cheap call into Rust).
#[pyfunction]
fn _byte_len(data: &Bound<'_, PyBytes>) -> usize {
    data.as_bytes().len()
}

/// The module `guifan._guifan`.
#[pymodule]
fn _guifan(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Rules>()?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(_byte_len, m)?)?;
    let py = m.py();
    m.add("GuifanError", py.get_type::<GuifanError>())?;
    m.add("RulesError", py.get_type::<RulesError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("ParamError", py.get_type::<ParamError>())?;
    Ok(())
}
