//! `unused_param` and `unused_let`: declarations nothing reads.

use std::collections::HashSet;

use guifan_syntax::ast::*;
pub(crate) use guifan_syntax::visit::{clause_roots, clauses, each_expr, each_under};

use crate::Lint;

/// Parameters and definitions (policy-wide and per rule) that nothing reads.
pub(crate) fn unused(lint: &mut Lint<'_>, policy: &PolicyDecl) {
    let mut read: HashSet<&str> = HashSet::new();
    each_expr(policy, |e| {
        if let ExprKind::Name(n) = &e.kind {
            read.insert(n);
        }
    });
    for p in &policy.params {
        if !read.contains(p.name.name.as_str()) {
            lint.warn(
                "guifan::lint::unused_param",
                format!("parameter `{}` is never read", p.name.name),
                p.name.span,
                "no rule or definition reads it",
                "remove it, or read it where it belongs: overriding it changes no decision".into(),
            );
        }
    }
    for l in &policy.lets {
        if !read.contains(l.name.name.as_str()) {
            lint.warn(
                "guifan::lint::unused_let",
                format!("definition `{}` is never read", l.name.name),
                l.name.span,
                "nothing reads it",
                "remove it, or use it in a rule".into(),
            );
        }
    }
    for rule in &policy.rules {
        for c in clauses(rule) {
            let mut roots = Vec::new();
            clause_roots(c, &mut roots);
            let mut read_here: HashSet<&str> = HashSet::new();
            each_under(roots, &mut |e| {
                if let ExprKind::Name(n) = &e.kind {
                    read_here.insert(n);
                }
            });
            for l in &c.lets {
                if !read_here.contains(l.name.name.as_str()) {
                    lint.warn(
                        "guifan::lint::unused_let",
                        format!(
                            "definition `{}` of rule `{}` is never read",
                            l.name.name, rule.name.name
                        ),
                        l.name.span,
                        "nothing in the rule reads it",
                        "remove it, or use it in the rule's condition, effects or message".into(),
                    );
                }
            }
        }
    }
}
