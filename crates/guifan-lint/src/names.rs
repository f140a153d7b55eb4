//! `unused_param` and `unused_let`: declarations nothing reads.

use std::collections::HashSet;

use guifan_syntax::ast::*;
use guifan_syntax::nesting::for_each_child;

use crate::Lint;

/// Calls `f` on every expression of a policy, sub-expressions included.
pub(crate) fn each_expr<'p>(policy: &'p PolicyDecl, mut f: impl FnMut(&'p Expr)) {
    let mut roots: Vec<&'p Expr> = Vec::new();
    roots.extend(policy.subject.as_ref().and_then(|s| s.filter.as_ref()));
    roots.extend(&policy.governed_by);
    roots.extend(policy.params.iter().filter_map(|p| p.default.as_ref()));
    roots.extend(policy.lets.iter().map(|l| &l.value));
    for r in &policy.ranks {
        roots.push(&r.score);
        roots.extend(&r.per);
        roots.extend(&r.filter);
    }
    for rule in &policy.rules {
        rule_roots(rule, &mut roots);
    }
    each_under(roots, &mut f);
}

/// The expressions written directly in a rule.
pub(crate) fn rule_roots<'p>(rule: &'p RuleDecl, roots: &mut Vec<&'p Expr>) {
    roots.extend(rule.on.as_ref().and_then(|o| o.filter.as_ref()));
    if let Some(each) = &rule.each {
        roots.push(&each.source);
        if let Some(g) = &each.group {
            roots.extend(g.keys.iter().map(|(_, v)| v));
        }
    }
    for c in clauses(rule) {
        clause_roots(c, roots);
    }
}

/// The bodies of a rule: one, or one per version.
pub(crate) fn clauses(rule: &RuleDecl) -> Vec<&Clauses> {
    match &rule.body {
        RuleBody::Single(c) => vec![c],
        RuleBody::Versions(vs) => vs.iter().map(|v| &v.clauses).collect(),
    }
}

fn clause_roots<'p>(c: &'p Clauses, roots: &mut Vec<&'p Expr>) {
    roots.extend(c.lets.iter().map(|l| &l.value));
    roots.push(&c.when);
    for e in &c.effects {
        roots.extend(e.args.iter().map(|(_, v)| v));
        roots.extend(&e.guard);
    }
    if let Some(m) = &c.message {
        for part in &m.parts {
            if let TemplatePart::Expr(e) = part {
                roots.push(e);
            }
        }
    }
}

/// Calls `f` on each of `roots` and everything under them, without recursing.
pub(crate) fn each_under<'p>(roots: Vec<&'p Expr>, f: &mut impl FnMut(&'p Expr)) {
    let mut stack = roots;
    while let Some(e) = stack.pop() {
        f(e);
        for_each_child(e, |c| stack.push(c));
    }
}

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
