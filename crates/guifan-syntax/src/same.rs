//! Equality of syntax trees that ignores where things were written: a file
//! and its formatted form have the same tree, spans aside.

use crate::ast::*;
use crate::span::{Span, Spanned};

/// Whether two files say the same thing: equal trees, comments with equal
/// texts in the same order, whatever the spans, layout and blank lines.
pub fn same_ignoring_spans(a: &RuleFile, b: &RuleFile) -> bool {
    let (mut a, mut b) = (a.clone(), b.clone());
    a.forget();
    b.forget();
    a == b
}

/// Sets every span to the empty span at 0 (and forgets layout).
trait Forget {
    fn forget(&mut self);
}

impl Forget for Span {
    fn forget(&mut self) {
        *self = Span::default();
    }
}

impl<T: Forget> Forget for Option<T> {
    fn forget(&mut self) {
        if let Some(x) = self {
            x.forget();
        }
    }
}

impl<T: Forget> Forget for Vec<T> {
    fn forget(&mut self) {
        self.iter_mut().for_each(Forget::forget);
    }
}

impl<T: Forget> Forget for Box<T> {
    fn forget(&mut self) {
        (**self).forget();
    }
}

impl<A: Forget, B: Forget> Forget for (A, B) {
    fn forget(&mut self) {
        self.0.forget();
        self.1.forget();
    }
}

impl<T> Forget for Spanned<T> {
    fn forget(&mut self) {
        self.span.forget();
    }
}

impl Forget for Ident {
    fn forget(&mut self) {
        self.span.forget();
    }
}

impl Forget for RuleFile {
    fn forget(&mut self) {
        self.items.forget();
        self.comments.forget();
        self.broken.forget();
    }
}

impl Forget for Comment {
    fn forget(&mut self) {
        self.text = self.text.trim_end().to_string();
        self.span.forget();
        self.next_code = 0;
        self.trailing = false;
        self.blank_before = false;
    }
}

impl Forget for Broken {
    fn forget(&mut self) {
        self.span.forget();
    }
}

impl Forget for Item {
    fn forget(&mut self) {
        match self {
            Item::Kind(r) | Item::Record(r) => r.forget(),
            Item::Effect(e) => {
                e.name.forget();
                e.params.forget();
                e.span.forget();
            }
            Item::Platform(p) => {
                p.name.forget();
                p.currency.forget();
                p.zone.forget();
                p.span.forget();
            }
            Item::Policy(p) => p.forget(),
        }
    }
}

impl Forget for RecordDecl {
    fn forget(&mut self) {
        self.name.forget();
        self.fields.forget();
        self.span.forget();
        for v in &mut self.variants {
            v.field.forget();
            v.value.forget();
            v.fields.forget();
            v.span.forget();
        }
    }
}

impl Forget for FieldDecl {
    fn forget(&mut self) {
        self.name.forget();
        self.ty.forget();
        self.span.forget();
    }
}

impl Forget for TypeExpr {
    fn forget(&mut self) {
        self.span.forget();
        match &mut self.kind {
            TypeExprKind::Named(n) => n.forget(),
            TypeExprKind::List(t) => t.forget(),
            TypeExprKind::Map(k, v) => {
                k.forget();
                v.forget();
            }
            TypeExprKind::Record(fields) => fields.forget(),
            TypeExprKind::Enum(values) => values.forget(),
        }
    }
}

impl Forget for PolicyDecl {
    fn forget(&mut self) {
        self.id.forget();
        self.title.forget();
        self.source_text.forget();
        self.subject.forget();
        self.zone.forget();
        self.currency.forget();
        self.effective.forget();
        self.governed_by.forget();
        self.params.forget();
        self.requires.forget();
        self.lets.forget();
        self.ranks.forget();
        self.rules.forget();
        self.order.forget();
        self.broken.forget();
        self.span.forget();
    }
}

impl Forget for Entry {
    fn forget(&mut self) {
        match self {
            Entry::Title(s)
            | Entry::Source(s)
            | Entry::Subject(s)
            | Entry::Zone(s)
            | Entry::Currency(s)
            | Entry::Effective(s)
            | Entry::Governed(s) => s.forget(),
            Entry::Param(_)
            | Entry::Require(_)
            | Entry::Let(_)
            | Entry::Rank(_)
            | Entry::Rule(_) => {}
        }
    }
}

impl Forget for SubjectDecl {
    fn forget(&mut self) {
        self.kind.forget();
        self.filter.forget();
        self.span.forget();
    }
}

impl Forget for Window {
    fn forget(&mut self) {
        self.from.forget();
        self.until.forget();
    }
}

impl Forget for RequireDecl {
    fn forget(&mut self) {
        self.condition.forget();
        self.message.forget();
        self.span.forget();
    }
}

impl Forget for ParamDecl {
    fn forget(&mut self) {
        self.name.forget();
        self.ty.forget();
        self.default.forget();
        self.span.forget();
    }
}

impl Forget for LetDecl {
    fn forget(&mut self) {
        self.name.forget();
        self.value.forget();
        self.span.forget();
    }
}

impl Forget for RankDecl {
    fn forget(&mut self) {
        self.name.forget();
        self.score.forget();
        self.per.forget();
        self.filter.forget();
        self.span.forget();
    }
}

impl Forget for RuleDecl {
    fn forget(&mut self) {
        self.name.forget();
        self.title.forget();
        self.on.forget();
        self.span.forget();
        if let Some(each) = &mut self.each {
            each.binder.forget();
            each.source.forget();
            each.span.forget();
            if let Some(g) = &mut each.group {
                g.keys.forget();
                g.items.forget();
                g.span.forget();
            }
        }
        match &mut self.body {
            RuleBody::Single(c) => c.forget(),
            RuleBody::Versions(vs) => {
                for v in vs {
                    v.label.forget();
                    v.window.forget();
                    v.clauses.forget();
                    v.span.forget();
                }
            }
        }
    }
}

impl Forget for Clauses {
    fn forget(&mut self) {
        self.lets.forget();
        self.when.forget();
        self.effects.forget();
        self.span.forget();
        if let Some(t) = &mut self.message {
            t.span.forget();
            for part in &mut t.parts {
                if let TemplatePart::Expr(e) = part {
                    e.forget();
                }
            }
        }
    }
}

impl Forget for EffectCall {
    fn forget(&mut self) {
        self.name.forget();
        self.args.forget();
        self.guard.forget();
        self.span.forget();
    }
}

impl Forget for Expr {
    // Trees are at most `nesting::MAX_DEPTH` deep: recursion is bounded.
    fn forget(&mut self) {
        self.span.forget();
        match &mut self.kind {
            ExprKind::Literal(..) | ExprKind::Name(_) | ExprKind::Now | ExprKind::Held => {}
            ExprKind::Paren(x) | ExprKind::Unary(_, x) => x.forget(),
            ExprKind::Field(base, name) => {
                base.forget();
                name.forget();
            }
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                a.forget();
                b.forget();
            }
            ExprKind::Chain { first, rest } => {
                first.forget();
                rest.iter_mut().for_each(|(_, x)| x.forget());
            }
            ExprKind::Presence { expr, .. } => expr.forget(),
            ExprKind::Within {
                expr, low, high, ..
            } => {
                expr.forget();
                low.forget();
                high.forget();
            }
            ExprKind::If {
                branches,
                otherwise,
            } => {
                branches.forget();
                otherwise.forget();
            }
            ExprKind::List(items) => items.forget(),
            ExprKind::Record(fields) => fields.forget(),
            ExprKind::Call { func, args } => {
                func.forget();
                args.forget();
            }
            ExprKind::Comprehension {
                func,
                map,
                binder,
                source,
                filter,
            } => {
                func.forget();
                map.forget();
                binder.forget();
                source.forget();
                filter.forget();
            }
            ExprKind::Conditions { items, .. } => {
                for c in items {
                    c.name.forget();
                    c.description.forget();
                    c.cond.forget();
                    c.span.forget();
                }
            }
        }
    }
}
