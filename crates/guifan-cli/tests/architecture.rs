//! The shape of the workspace, held as tests: no module of any crate imports
//! from a module that imports back from it (directly or round a longer
//! circle), no source file outgrows a reader, and the command is built on
//! the library, not beside it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest a source file (tests aside) may grow.
const MAX_LINES: usize = 900;

/// A module, as its path from the crate root (`["eval", "frame"]`).
type Module = Vec<String>;

/// Whether a file holds only tests (`tests.rs`, `ops_tests.rs`, `decode/tests.rs`).
fn is_test_file(path: &Path) -> bool {
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    name == "tests" || name.ends_with("_tests")
}

/// Every Rust source file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The module a file of `src` defines.
fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Module = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("lib" | "main" | "mod")
    ) {
        parts.pop();
    }
    parts
}

/// The paths a file names from its own crate: `crate::a::b` and
/// `super::c`, grouped imports (`crate::{a, b::c}`) spread out, as
/// segments from the crate root.
fn named_paths(text: &str, module: &Module) -> Vec<Module> {
    let mut out = Vec::new();
    for (start, base) in [("crate::", Vec::new()), ("super::", parent(module))] {
        let mut rest = text;
        while let Some(i) = rest.find(start) {
            let before = rest[..i].chars().last();
            rest = &rest[i + start.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // `$crate::`, `a::super::`
            }
            let mut prefix = base.clone();
            // A path is short: its first 200 characters are enough.
            let end = rest.char_indices().nth(200).map_or(rest.len(), |(i, _)| i);
            let mut tail = &rest[..end];
            // `super::super::x`
            while let Some(t) = tail.strip_prefix("super::") {
                prefix = parent(&prefix);
                tail = t;
            }
            if let Some(group) = tail.strip_prefix('{') {
                let inner = &group[..group.find('}').unwrap_or(group.len())];
                for item in inner.split(',') {
                    out.push(segments(&prefix, item.trim()));
                }
            } else {
                out.push(segments(&prefix, tail));
            }
        }
    }
    out
}

fn parent(module: &Module) -> Module {
    module[..module.len().saturating_sub(1)].to_vec()
}

/// `prefix` followed by the identifiers of a path's text (`a::b::C` and so on).
fn segments(prefix: &Module, text: &str) -> Module {
    let mut out = prefix.clone();
    for seg in text.split("::") {
        let ident: String = seg
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() || ident == "self" {
            break;
        }
        out.push(ident);
        if seg.len() != seg.trim_end().len() || seg.contains(['(', ' ', ';', '<', '>', '}']) {
            break;
        }
    }
    out
}

/// The import edges between modules of one crate, each lifted to the two
/// modules under their nearest common ancestor (a module reading its own
/// ancestors or descendants is not a circle).
fn edges(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let files: Vec<PathBuf> = sources(src)
        .into_iter()
        .filter(|f| !is_test_file(f))
        .collect();
    let modules: BTreeSet<Module> = files.iter().map(|f| module_of(src, f)).collect();
    let mut out: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for file in &files {
        let from = module_of(src, file);
        let text = std::fs::read_to_string(file).unwrap();
        // Tests inside a file are left out, as test files are, and comments
        // (a doc link is not an import).
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        let text: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        for path in named_paths(&text, &from) {
            let to = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains(p))
                .unwrap_or_default();
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue;
            }
            out.entry(from[..=common].to_vec())
                .or_default()
                .insert(to[..=common].to_vec());
        }
    }
    out
}

/// A circle of modules, if the edges have one.
fn circle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    // Depth first, marking modules in progress; a module met again while in progress closes a circle.
    fn visit(
        m: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, bool>,
        path: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        match state.get(m) {
            Some(true) => {
                let start = path.iter().position(|p| p == m).unwrap_or(0);
                let mut c = path[start..].to_vec();
                c.push(m.clone());
                return Some(c);
            }
            Some(false) => return None,
            None => {}
        }
        state.insert(m.clone(), true);
        path.push(m.clone());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, edges, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(m.clone(), false);
        None
    }
    let mut state = BTreeMap::new();
    edges
        .keys()
        .find_map(|m| visit(m, edges, &mut state, &mut Vec::new()))
}

fn crate_sources() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(common::root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        if dir.join("src").is_dir() {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, dir.join("src")));
        }
    }
    out.sort();
    out
}

#[test]
fn no_module_imports_from_a_module_that_imports_back() {
    let mut found = Vec::new();
    for (name, src) in crate_sources() {
        if let Some(c) = circle(&edges(&src)) {
            let shown: Vec<String> = c.iter().map(|m| m.join("::")).collect();
            found.push(format!("{name}: {}", shown.join(" -> ")));
        }
    }
    assert!(found.is_empty(), "module circles:\n{}", found.join("\n"));
}

#[test]
fn the_circle_finder_finds_a_circle() {
    // Two sibling modules that import each other, and a parent and child that do (no circle).
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\nuse crate::a::x;\n").unwrap();
    std::fs::write(src.join("a.rs"), "mod inner;\nuse crate::b::{y, z};\n").unwrap();
    std::fs::write(
        src.join("a/inner.rs"),
        "use super::super::b::y;\nuse super::w;\n",
    )
    .unwrap();
    std::fs::write(src.join("b.rs"), "use crate::c::q;\n").unwrap();
    std::fs::write(src.join("c.rs"), "fn f() { crate::a::inner::g() }\n").unwrap();
    let found = circle(&edges(src)).expect("a -> b -> c -> a");
    let shown: Vec<String> = found.iter().map(|m| m.join("::")).collect();
    assert_eq!(shown, ["a", "b", "c", "a"]);
    std::fs::write(src.join("c.rs"), "fn f() {}\n").unwrap();
    assert_eq!(circle(&edges(src)), None);
}

#[test]
fn no_source_file_outgrows_a_reader() {
    let mut long = Vec::new();
    for (_, src) in crate_sources() {
        for file in sources(&src).into_iter().filter(|f| !is_test_file(f)) {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_command_is_built_on_the_library_the_runner_the_service_and_the_language_server() {
    assert_eq!(
        our_dependencies("guifan-cli"),
        ["guifan", "guifan-lsp", "guifan-runner", "guifan-serve"]
    );
}

#[test]
fn the_language_server_the_playground_and_the_python_package_are_built_on_the_library_only() {
    assert_eq!(our_dependencies("guifan-lsp"), ["guifan"]);
    assert_eq!(our_dependencies("guifan-wasm"), ["guifan"]);
    assert_eq!(our_dependencies("guifan-py"), ["guifan"]);
}

/// The workspace crates a crate depends on (not dev-dependencies), by name.
fn our_dependencies(krate: &str) -> Vec<String> {
    let path = common::root().join("crates").join(krate).join("Cargo.toml");
    let manifest: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let ours: BTreeSet<String> = manifest["dependencies"]
        .as_table()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("guifan"))
        .cloned()
        .collect();
    ours.into_iter().collect()
}

#[test]
fn one_rule_set_type_in_the_workspace() {
    let mut found = Vec::new();
    for (name, src) in crate_sources() {
        for file in sources(&src) {
            let text = std::fs::read_to_string(&file).unwrap();
            if text.contains("pub struct RuleSet") {
                found.push(format!("{name}: {}", file.display()));
            }
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn each_crate_readme_names_exactly_its_files() {
    let mut wrong = Vec::new();
    for (name, src) in crate_sources() {
        let Ok(readme) = std::fs::read_to_string(src.join("README.md")) else {
            continue;
        };
        // The first column of the table: `file.rs`, or `a.rs`, `b.rs`.
        let named: BTreeSet<String> = readme
            .lines()
            .filter_map(|l| l.strip_prefix("| "))
            .filter_map(|l| l.split(" | ").next())
            .flat_map(|cell| cell.split(", "))
            .filter_map(|f| f.strip_prefix('`')?.strip_suffix('`'))
            .filter(|f| f.ends_with(".rs"))
            .map(str::to_string)
            .collect();
        let files: BTreeSet<String> = sources(&src)
            .iter()
            .map(|f| f.strip_prefix(&src).unwrap().to_string_lossy().into_owned())
            .filter(|f| !f.ends_with("tests.rs") || named.contains(f))
            .collect();
        for missing in files.difference(&named) {
            wrong.push(format!("{name}: `{missing}` is not in src/README.md"));
        }
        for gone in named.difference(&files) {
            wrong.push(format!(
                "{name}: src/README.md names `{gone}`, which is not there"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
