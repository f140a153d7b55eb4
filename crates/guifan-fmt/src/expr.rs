//! Expressions and types: on one line when they fit, broken by fixed rules when not.

use guifan_syntax::ast::*;

use unicode_width::UnicodeWidthStr;

use crate::printer::Printer;

/// An expression on one line, or `None` when it must span lines (`any {}`, `all {}`).
pub(crate) fn flat(p: &Printer<'_>, e: &Expr) -> Option<String> {
    let mut out = String::new();
    write_flat(p, e, &mut out)?;
    Some(out)
}

/// Trees are at most `nesting::MAX_DEPTH` deep (plus parentheses): recursion is bounded.
fn write_flat(p: &Printer<'_>, e: &Expr, out: &mut String) -> Option<()> {
    match &e.kind {
        ExprKind::Literal(_, written) => out.push_str(written),
        ExprKind::Name(n) => out.push_str(n),
        ExprKind::Now => out.push_str("now"),
        ExprKind::Held => out.push_str("held"),
        ExprKind::Paren(x) => {
            out.push('(');
            write_flat(p, x, out)?;
            out.push(')');
        }
        ExprKind::Field(base, name) => {
            write_flat(p, base, out)?;
            out.push('.');
            out.push_str(&name.name);
        }
        ExprKind::Index(base, key) => {
            write_flat(p, base, out)?;
            out.push('[');
            write_flat(p, key, out)?;
            out.push(']');
        }
        ExprKind::Unary(op, x) => {
            out.push_str(match op {
                UnaryOp::Not => "not ",
                UnaryOp::Neg => "-",
            });
            write_flat(p, x, out)?;
        }
        ExprKind::Binary(op, a, b) => {
            write_flat(p, a, out)?;
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_flat(p, b, out)?;
        }
        ExprKind::Chain { first, rest } => {
            write_flat(p, first, out)?;
            for (op, x) in rest {
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                write_flat(p, x, out)?;
            }
        }
        ExprKind::Presence { expr, present } => {
            write_flat(p, expr, out)?;
            out.push_str(if *present {
                " is present"
            } else {
                " is absent"
            });
        }
        ExprKind::Within {
            expr,
            low,
            low_included,
            high,
            high_included,
        } => {
            write_flat(p, expr, out)?;
            out.push_str(if *low_included {
                " within ["
            } else {
                " within ("
            });
            write_flat(p, low, out)?;
            out.push_str(", ");
            write_flat(p, high, out)?;
            out.push(if *high_included { ']' } else { ')' });
        }
        ExprKind::If {
            branches,
            otherwise,
        } => {
            for (k, (c, v)) in branches.iter().enumerate() {
                out.push_str(if k == 0 { "if " } else { " else if " });
                write_flat(p, c, out)?;
                out.push_str(" then ");
                write_flat(p, v, out)?;
            }
            out.push_str(" else ");
            write_flat(p, otherwise, out)?;
        }
        ExprKind::List(items) => {
            out.push('[');
            write_list(p, items, out)?;
            out.push(']');
        }
        ExprKind::Record(fields) => {
            out.push('{');
            for (k, (name, value)) in fields.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                out.push_str(&name.name);
                out.push_str(": ");
                write_flat(p, value, out)?;
            }
            out.push('}');
        }
        ExprKind::Call { func, args } => {
            out.push_str(&func.name);
            out.push('(');
            write_list(p, args, out)?;
            out.push(')');
        }
        ExprKind::Comprehension {
            func,
            map,
            binder,
            source,
            filter,
        } => {
            out.push_str(&func.name);
            out.push('(');
            write_comprehension_body(p, map.as_deref(), binder, source, out)?;
            if let Some(f) = filter {
                out.push_str(" where ");
                write_flat(p, f, out)?;
            }
            out.push(')');
        }
        ExprKind::Conditions { .. } => return None,
    }
    Some(())
}

fn write_list(p: &Printer<'_>, items: &[Expr], out: &mut String) -> Option<()> {
    for (k, x) in items.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        write_flat(p, x, out)?;
    }
    Some(())
}

/// `d.points for d in deductions`, or `w in withdrawals`.
fn write_comprehension_body(
    p: &Printer<'_>,
    map: Option<&Expr>,
    binder: &Ident,
    source: &Expr,
    out: &mut String,
) -> Option<()> {
    if let Some(m) = map {
        write_flat(p, m, out)?;
        out.push_str(" for ");
    }
    out.push_str(&binder.name);
    out.push_str(" in ");
    write_flat(p, source, out)
}

/// The value of a `let` or a parameter default: after `=` when it fits,
/// otherwise on the lines below, indented.
pub(crate) fn value(p: &mut Printer<'_>, e: &Expr) {
    match flat(p, e) {
        Some(f) if p.fits(&f) => p.put(&f),
        Some(f) if matches!(e.kind, ExprKind::If { .. } | ExprKind::Chain { .. }) => {
            let indent = p.indent;
            p.indent += 2;
            p.line(e.span.start, false);
            if p.fits(&f) {
                p.put(&f);
            } else {
                expr(p, e);
            }
            p.indent = indent;
        }
        _ => expr(p, e),
    }
}

/// A rule's `when` condition (as any expression; named here for what it is).
pub(crate) fn condition(p: &mut Printer<'_>, e: &Expr) {
    expr(p, e);
}

/// An expression, broken over lines where it does not fit.
pub(crate) fn expr(p: &mut Printer<'_>, e: &Expr) {
    if let Some(f) = flat(p, e) {
        if p.fits(&f) {
            p.put(&f);
            return;
        }
    }
    match &e.kind {
        ExprKind::Chain { first, rest } => chain(p, first, rest),
        ExprKind::If {
            branches,
            otherwise,
        } => {
            // Each branch `if c then v` on a line when it fits, else `if c` and
            // `then v` on lines of their own; `else` starts a line.
            let at_line_start = p.column() == p.indent;
            let indent = p.indent;
            let cont = if at_line_start { indent } else { indent + 2 };
            for (k, (c, v)) in branches.iter().enumerate() {
                let word = if k == 0 { "if " } else { "else if " };
                if k > 0 {
                    p.indent = cont;
                    p.line(c.span.start, false);
                }
                let one_line = flat(p, c)
                    .zip(flat(p, v))
                    .map(|(c, v)| format!("{word}{c} then {v}"));
                match one_line {
                    Some(line) if p.fits(&line) => p.put(&line),
                    _ => {
                        p.put(word);
                        expr(p, c);
                        p.indent = cont;
                        p.line(v.span.start, false);
                        p.put("then ");
                        expr(p, v);
                    }
                }
            }
            p.indent = cont;
            p.line(otherwise.span.start, false);
            p.put("else ");
            expr(p, otherwise);
            p.indent = indent;
        }
        ExprKind::List(items) => {
            p.put("[");
            broken_list(p, items, e.span.end.saturating_sub(1), "]");
        }
        ExprKind::Record(fields) => {
            // One field per line, as an effect's arguments are.
            p.put("{");
            p.open();
            for (name, value) in fields {
                p.line(name.span.start, false);
                p.put(&name.name);
                p.put(": ");
                expr(p, value);
                p.put(",");
            }
            p.close(e.span.end.saturating_sub(1), "}");
        }
        ExprKind::Call { func, args } => {
            p.put(&func.name);
            p.put("(");
            broken_list(p, args, e.span.end.saturating_sub(1), ")");
        }
        ExprKind::Comprehension {
            func,
            map,
            binder,
            source,
            filter,
        } => {
            p.put(&func.name);
            p.put("(");
            p.open();
            let start = map.as_ref().map_or(binder.span.start, |m| m.span.start);
            p.line(start, false);
            if let Some(m) = map {
                expr(p, m);
                p.put(" for ");
            }
            p.put(&binder.name);
            p.put(" in ");
            expr(p, source);
            if let Some(f) = filter {
                p.line(f.span.start, false);
                p.put("where ");
                expr(p, f);
            }
            p.close(e.span.end.saturating_sub(1), ")");
        }
        ExprKind::Conditions { quantifier, items } => {
            p.put(match quantifier {
                Quantifier::Any => "any {",
                Quantifier::All => "all {",
            });
            p.open();
            // The conditions line up after their names and descriptions.
            let heads: Vec<String> = items
                .iter()
                .map(|c| match &c.description {
                    Some(d) => format!("{} {}:", c.name.name, p.source(d.span)),
                    None => format!("{}:", c.name.name),
                })
                .collect();
            let width = heads.iter().map(|h| h.width()).max().unwrap_or(0);
            for (c, head) in items.iter().zip(&heads) {
                p.line(c.span.start, false);
                p.put(head);
                // Aligned when the condition fits on the line; a long one follows its head.
                let aligned = " ".repeat(width.saturating_sub(head.width()) + 1);
                let fits = flat(p, &c.cond).is_some_and(|f| p.fits(&format!("{aligned}{f}")));
                p.put(if fits { &aligned } else { " " });
                let indent = p.indent;
                p.indent += 2;
                expr(p, &c.cond);
                p.indent = indent;
            }
            p.close(e.span.end.saturating_sub(1), "}");
        }
        ExprKind::Paren(x) => {
            p.put("(");
            expr(p, x);
            p.put(")");
        }
        ExprKind::Field(base, name) => {
            expr(p, base);
            p.put(".");
            p.put(&name.name);
        }
        ExprKind::Index(base, key) => {
            expr(p, base);
            p.put("[");
            expr(p, key);
            p.put("]");
        }
        ExprKind::Unary(op, x) => {
            p.put(match op {
                UnaryOp::Not => "not ",
                UnaryOp::Neg => "-",
            });
            expr(p, x);
        }
        ExprKind::Binary(op, a, b) => {
            expr(p, a);
            p.put(" ");
            p.put(op.symbol());
            p.put(" ");
            expr(p, b);
        }
        ExprKind::Presence { expr: x, present } => {
            expr(p, x);
            p.put(if *present {
                " is present"
            } else {
                " is absent"
            });
        }
        ExprKind::Within {
            expr: x,
            low,
            low_included,
            high,
            high_included,
        } => {
            expr(p, x);
            p.put(if *low_included {
                " within ["
            } else {
                " within ("
            });
            expr(p, low);
            p.put(", ");
            expr(p, high);
            p.put(if *high_included { "]" } else { ")" });
        }
        ExprKind::Literal(_, written) => p.put(written),
        ExprKind::Name(n) => p.put(n),
        ExprKind::Now => p.put("now"),
        ExprKind::Held => p.put("held"),
    }
}

/// `a and b and c` that does not fit: one operand per line, each continuation
/// line starting with its operator. When only the last operand spans lines
/// (`trial.active and any { ... }`), the chain stays on the first line.
fn chain(p: &mut Printer<'_>, first: &Expr, rest: &[(BinaryOp, Expr)]) {
    if let Some(((last_op, last), init)) = rest.split_last() {
        if matches!(last.kind, ExprKind::Conditions { .. }) {
            let mut head = String::new();
            let all_flat = std::iter::once(first)
                .chain(init.iter().map(|(_, x)| x))
                .zip(std::iter::once(None).chain(init.iter().map(|(o, _)| Some(*o))))
                .try_for_each(|(x, op)| {
                    if let Some(op) = op {
                        head.push(' ');
                        head.push_str(op.symbol());
                        head.push(' ');
                    }
                    write_flat(p, x, &mut head)
                });
            if all_flat.is_some() && p.fits(&format!("{head} {} any {{", last_op.symbol())) {
                p.put(&head);
                p.put(" ");
                p.put(last_op.symbol());
                p.put(" ");
                expr(p, last);
                return;
            }
        }
    }
    expr(p, first);
    let indent = p.indent;
    p.indent += 2;
    for (op, x) in rest {
        p.line(x.span.start, false);
        p.put(op.symbol());
        p.put(" ");
        expr(p, x);
    }
    p.indent = indent;
}

/// The items of a call or list, one per line, then the closing bracket (at `close` in the source).
fn broken_list(p: &mut Printer<'_>, items: &[Expr], close: u32, closing: &str) {
    p.open();
    for x in items {
        p.line(x.span.start, false);
        expr(p, x);
        p.put(",");
    }
    p.close(close, closing);
}

/// An effect call on one line, or `None` when it must span lines.
pub(crate) fn flat_effect(p: &Printer<'_>, e: &EffectCall) -> Option<String> {
    let mut out = e.name.name.clone();
    if !e.args.is_empty() {
        out.push('(');
        for (k, (name, value)) in e.args.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            out.push_str(&name.name);
            out.push_str(": ");
            write_flat(p, value, &mut out)?;
        }
        out.push(')');
    }
    if let Some(g) = &e.guard {
        out.push_str(" if ");
        write_flat(p, g, &mut out)?;
    }
    Some(out)
}

/// An effect call, its arguments one per line when it does not fit.
pub(crate) fn effect_call(p: &mut Printer<'_>, e: &EffectCall) {
    if let Some(f) = flat_effect(p, e) {
        if p.fits(&f) {
            p.put(&f);
            return;
        }
    }
    p.put(&e.name.name);
    if !e.args.is_empty() {
        p.put("(");
        p.open();
        for (name, value) in &e.args {
            p.line(name.span.start, false);
            p.put(&name.name);
            p.put(": ");
            expr(p, value);
            p.put(",");
        }
        let close = e
            .guard
            .as_ref()
            .map_or(e.span.end.saturating_sub(1), |g| g.span.start);
        p.close(close, ")");
    }
    if let Some(g) = &e.guard {
        p.put(" if ");
        expr(p, g);
    }
}

/// A type on one line.
pub(crate) fn flat_type(p: &Printer<'_>, t: &TypeExpr) -> String {
    let mut out = match &t.kind {
        TypeExprKind::Named(n) => n.name.clone(),
        TypeExprKind::List(x) => format!("[{}]", flat_type(p, x)),
        TypeExprKind::Map(k, v) => format!("map<{}, {}>", flat_type(p, k), flat_type(p, v)),
        TypeExprKind::Record(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.name.name, flat_type(p, &f.ty)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        TypeExprKind::Enum(values) => {
            let inner: Vec<&str> = values.iter().map(|v| p.source(v.span)).collect();
            inner.join(" | ")
        }
    };
    if t.optional {
        out.push('?');
    }
    out
}

/// A type: on one line when it fits; otherwise a record's fields one per
/// line, and an enumeration's values one per line after the first.
pub(crate) fn type_expr(p: &mut Printer<'_>, t: &TypeExpr) {
    let f = flat_type(p, t);
    if p.fits(&f) {
        p.put(&f);
        return;
    }
    match &t.kind {
        TypeExprKind::Record(fields) => {
            p.put("{");
            p.open();
            for field in fields {
                p.line(field.span.start, false);
                p.put(&field.name.name);
                p.put(": ");
                type_expr(p, &field.ty);
            }
            p.close(
                t.span.end.saturating_sub(if t.optional { 2 } else { 1 }),
                "}",
            );
        }
        TypeExprKind::List(x) => {
            p.put("[");
            type_expr(p, x);
            p.put("]");
        }
        TypeExprKind::Enum(values) => {
            let indent = p.indent;
            for (k, v) in values.iter().enumerate() {
                if k > 0 {
                    p.indent = indent + 4;
                    p.line(v.span.start, false);
                    p.put("| ");
                }
                p.put(p.source(v.span));
            }
            p.indent = indent;
        }
        TypeExprKind::Named(_) | TypeExprKind::Map(..) => {
            p.put(&f);
            return;
        }
    }
    if t.optional {
        p.put("?");
    }
}
