//! Navigating from a test file (`*.test.toml`) into the rules: a rule named
//! in `expect`, `message` or `args` goes to the rule, the tested policy's
//! ID to the policy, a parameter in `params` to its declaration.

use toml_edit::{ImDocument, Item, TableLike};

/// What the key or value under the cursor of a test file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Named {
    /// A rule (its full ID, the policy's prefix added to a short name)
    Rule(String),
    /// A policy
    Policy(String),
    /// A parameter of a policy
    Param(String, String),
}

/// What is named at byte `offset` of a test file.
pub(crate) fn named_at(text: &str, offset: usize) -> Option<Named> {
    let doc = ImDocument::parse(text.to_string()).ok()?;
    let root = doc.as_table();
    let policy = root
        .get("policy")
        .and_then(Item::as_str)
        .map(str::to_string);
    if let Some(item) = root.get("policy") {
        if item
            .span()
            .is_some_and(|s| s.contains(&offset) || s.end == offset)
        {
            return policy.map(Named::Policy);
        }
    }
    let mut found = None;
    walk(root, &mut Vec::new(), offset, &mut found);
    let (path, key) = found?;
    let under = |word: &str| path.iter().any(|p| p == word);
    if under("params") {
        let policy_id = path
            .iter()
            .skip_while(|p| *p != "params")
            .skip(1)
            .cloned()
            .collect::<Vec<_>>()
            .join(".");
        return Some(Named::Param(policy_id, key));
    }
    if under("expect") || under("message") {
        return Some(Named::Rule(full_rule(policy.as_deref(), &key)));
    }
    None
}

fn full_rule(policy: Option<&str>, name: &str) -> String {
    match policy {
        Some(p) if !name.contains('.') => format!("{p}.{name}"),
        _ => name.to_string(),
    }
}

/// Finds the key whose span holds `offset`, with the keys above it.
fn walk(
    table: &dyn TableLike,
    path: &mut Vec<String>,
    offset: usize,
    found: &mut Option<(Vec<String>, String)>,
) {
    if path.len() > 32 {
        return;
    }
    for (key, item) in table.iter() {
        let at_key = table
            .key(key)
            .and_then(|k| k.span())
            .is_some_and(|s| s.start <= offset && offset <= s.end);
        if at_key {
            *found = Some((path.clone(), key.to_string()));
            return;
        }
        if let Some(t) = item.as_table_like() {
            path.push(key.to_string());
            walk(t, path, offset, found);
            path.pop();
        } else if let Some(array) = item.as_array_of_tables() {
            for t in array.iter() {
                path.push(key.to_string());
                walk(t, path, offset, found);
                path.pop();
            }
        }
        if found.is_some() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: &str = r#"policy = "douyin.zero_deposit_trial"
[base]
kind = "merchant"

[[case]]
name = "one"
expect = { marketing_limits = 1, "other.policy.rule" = 0 }
params = { "douyin.zero_deposit_trial" = { personal_listing_cap = 120 } }
"#;

    fn at(needle: &str) -> usize {
        TEST.find(needle).unwrap() + 1
    }

    #[test]
    fn a_rule_in_expect_is_named_in_full() {
        assert_eq!(
            named_at(TEST, at("marketing_limits")),
            Some(Named::Rule(
                "douyin.zero_deposit_trial.marketing_limits".into()
            ))
        );
        assert_eq!(
            named_at(TEST, at("other.policy.rule")),
            Some(Named::Rule("other.policy.rule".into()))
        );
    }

    #[test]
    fn the_policy_and_a_parameter_are_named() {
        assert_eq!(
            named_at(TEST, at("douyin.zero_deposit_trial\"\n")),
            Some(Named::Policy("douyin.zero_deposit_trial".into()))
        );
        assert_eq!(
            named_at(TEST, at("personal_listing_cap")),
            Some(Named::Param(
                "douyin.zero_deposit_trial".into(),
                "personal_listing_cap".into()
            ))
        );
    }

    #[test]
    fn other_keys_name_nothing() {
        assert_eq!(named_at(TEST, at("kind =")), None);
        assert_eq!(named_at("not toml [", 3), None);
    }
}
