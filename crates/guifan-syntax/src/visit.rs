//! Walking a policy's expressions: every expression written in it, with
//! everything under them, without recursion (trees are bounded, but a
//! visitor should not need to know that). The linter, coverage and editor
//! tools find names, comparisons and references through it.

use crate::ast::*;
use crate::nesting::for_each_child;

/// Calls `f` on every expression of a policy, sub-expressions included.
pub fn each_expr<'p>(policy: &'p PolicyDecl, mut f: impl FnMut(&'p Expr)) {
    let mut roots: Vec<&'p Expr> = Vec::new();
    roots.extend(policy.subject.as_ref().and_then(|s| s.filter.as_ref()));
    roots.extend(&policy.governed_by);
    roots.extend(policy.params.iter().filter_map(|p| p.default.as_ref()));
    roots.extend(policy.requires.iter().map(|r| &r.condition));
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
pub fn rule_roots<'p>(rule: &'p RuleDecl, roots: &mut Vec<&'p Expr>) {
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
pub fn clauses(rule: &RuleDecl) -> Vec<&Clauses> {
    match &rule.body {
        RuleBody::Single(c) => vec![c],
        RuleBody::Versions(vs) => vs.iter().map(|v| &v.clauses).collect(),
    }
}

/// The expressions written directly in one body of a rule: its definitions,
/// condition, effects' arguments and guards, and message interpolations.
pub fn clause_roots<'p>(c: &'p Clauses, roots: &mut Vec<&'p Expr>) {
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
pub fn each_under<'p>(roots: Vec<&'p Expr>, f: &mut impl FnMut(&'p Expr)) {
    let mut stack = roots;
    while let Some(e) = stack.pop() {
        f(e);
        for_each_child(e, |c| stack.push(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every expression of a policy is visited: its header's, its entries',
    /// and each rule's (on filter, for source, definitions, condition,
    /// effects, message), in every version.
    #[test]
    fn every_expression_of_a_policy_is_visited() {
        let text = "policy a.b { subject s where p0 let l = p1
            rule r on k where p2 { let m = p3 when p4 then e(n: p5) if p6 message \"{p7}\" }
            rule v { version \"x\" { when p8 then e } } }";
        let file = crate::parse(crate::SourceId(0), text).expect("parses");
        let Some(Item::Policy(policy)) = file.items.first() else {
            panic!("{:?}", file.items)
        };
        let mut names = Vec::new();
        each_expr(policy, |e| {
            if let ExprKind::Name(n) = &e.kind {
                names.push(n.clone());
            }
        });
        names.sort();
        assert_eq!(
            names,
            ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]
        );
    }
}
