//! Declarations and policy entries, one per line, in the order written.

use guifan_syntax::ast::*;
use guifan_syntax::Span;
use unicode_width::UnicodeWidthStr;

use crate::expr;
use crate::printer::Printer;

/// A whole file.
pub(crate) fn file(p: &mut Printer<'_>, file: &RuleFile) {
    for item in &file.items {
        let span = match item {
            Item::Kind(r) | Item::Record(r) => r.span,
            Item::Effect(e) => e.span,
            Item::Platform(x) => x.span,
            Item::Policy(x) => x.span,
        };
        p.line(span.start, true);
        match item {
            Item::Kind(r) => record(p, "kind", r),
            Item::Record(r) => record(p, "record", r),
            Item::Effect(e) => effect(p, e),
            Item::Platform(x) => platform(p, x),
            Item::Policy(x) => policy(p, x),
        }
    }
}

/// The position of a block's closing brace (the last byte of its span).
fn closing(span: Span) -> u32 {
    span.end.saturating_sub(1)
}

/// `kind merchant { ... }` or `record Payment { ... }`: fields and `when` blocks in the order written.
fn record(p: &mut Printer<'_>, word: &str, r: &RecordDecl) {
    p.put(word);
    p.put(" ");
    p.put(&r.name.name);
    p.put(" {");
    p.open();
    let mut parts: Vec<(u32, Option<&FieldDecl>, Option<&VariantDecl>)> = r
        .fields
        .iter()
        .map(|f| (f.span.start, Some(f), None))
        .chain(r.variants.iter().map(|v| (v.span.start, None, Some(v))))
        .collect();
    parts.sort_by_key(|x| x.0);
    for (start, field, variant) in parts {
        p.line(start, true);
        if let Some(f) = field {
            field_decl(p, f);
        }
        if let Some(v) = variant {
            p.put("when ");
            p.put(&v.field.name);
            p.put(" == ");
            p.put(p.source(v.value.span));
            p.put(" {");
            p.open();
            for f in &v.fields {
                p.line(f.span.start, true);
                field_decl(p, f);
            }
            p.close(closing(v.span), "}");
        }
    }
    p.close(closing(r.span), "}");
}

/// `name: type`
fn field_decl(p: &mut Printer<'_>, f: &FieldDecl) {
    p.put(&f.name.name);
    p.put(": ");
    expr::type_expr(p, &f.ty);
}

/// `effect name(arg: type, ...)`, broken one argument per line when too long.
fn effect(p: &mut Printer<'_>, e: &EffectDecl) {
    p.put("effect ");
    p.put(&e.name.name);
    if e.params.is_empty() {
        return;
    }
    let flat: Vec<String> = e
        .params
        .iter()
        .map(|f| format!("{}: {}", f.name.name, expr::flat_type(p, &f.ty)))
        .collect();
    let one_line = format!("({})", flat.join(", "));
    if p.fits(&one_line) {
        p.put(&one_line);
        return;
    }
    p.put("(");
    p.open();
    for f in &e.params {
        p.line(f.span.start, false);
        field_decl(p, f);
        p.put(",");
    }
    p.close(closing(e.span), ")");
}

/// `platform douyin { currency CNY zone Asia/Shanghai }`, entries in the order written.
fn platform(p: &mut Printer<'_>, x: &PlatformDecl) {
    p.put("platform ");
    p.put(&x.name.name);
    p.put(" {");
    let currency = x.currency.as_ref().map(|c| format!(" currency {}", c.node));
    let zone = x.zone.as_ref().map(|z| format!(" zone {}", z.node));
    let (a, b) = if x.currency_first {
        (currency, zone)
    } else {
        (zone, currency)
    };
    for part in [a, b].into_iter().flatten() {
        p.put(&part);
    }
    p.put(" }");
}

/// Which entries line up with their neighbours: header words, parameter
/// names and types, definition names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Header,
    Param,
    Let,
    Other,
}

fn class(e: &Entry) -> Class {
    match e {
        Entry::Title(_)
        | Entry::Source(_)
        | Entry::Subject(_)
        | Entry::Zone(_)
        | Entry::Currency(_)
        | Entry::Effective(_) => Class::Header,
        Entry::Param(_) => Class::Param,
        Entry::Let(_) => Class::Let,
        Entry::Governed(_) | Entry::Require(_) | Entry::Rank(_) | Entry::Rule(_) => Class::Other,
    }
}

/// The first word of a header entry.
fn header_word(e: &Entry) -> &'static str {
    match e {
        Entry::Title(_) => "title",
        Entry::Source(_) => "source",
        Entry::Subject(_) => "subject",
        Entry::Zone(_) => "zone",
        Entry::Currency(_) => "currency",
        Entry::Effective(_) => "effective",
        _ => "",
    }
}

/// For each entry, the widths its parts are padded to so that a run of
/// neighbours of one class (on consecutive lines, nothing between) lines up:
/// the word or name, then a parameter's type.
fn alignment(p: &Printer<'_>, x: &PolicyDecl) -> Vec<(usize, usize)> {
    let name_of = |e: &Entry| -> usize {
        match *e {
            Entry::Param(i) => x.params.get(i).map_or(0, |d| d.name.name.width()),
            Entry::Let(i) => x.lets.get(i).map_or(0, |d| d.name.name.width()),
            _ => header_word(e).len(),
        }
    };
    let type_of = |e: &Entry| -> usize {
        match *e {
            Entry::Param(i) => x
                .params
                .get(i)
                .filter(|d| d.default.is_some())
                .map_or(0, |d| expr::flat_type(p, &d.ty).width()),
            _ => 0,
        }
    };
    let mut out = vec![(0, 0); x.order.len()];
    let mut start = 0;
    while start < x.order.len() {
        let c = x.order.get(start).map_or(Class::Other, class);
        let mut end = start + 1;
        while let (Some(a), Some(b)) = (x.order.get(end - 1), x.order.get(end)) {
            let adjacent = match (x.entry_span(a), x.entry_span(b)) {
                (Some(a), Some(b)) => neighbours(p, a, b),
                _ => false,
            };
            if class(b) != c || c == Class::Other || !adjacent {
                break;
            }
            end += 1;
        }
        let run = x.order.get(start..end).unwrap_or(&[]);
        let names = run.iter().map(name_of).max().unwrap_or(0);
        let types = run.iter().map(type_of).max().unwrap_or(0);
        for slot in out.get_mut(start..end).into_iter().flatten() {
            *slot = (names, types);
        }
        start = end;
    }
    out
}

/// Whether two entries stay neighbours, lined up in one run: no blank line
/// separates them, in the source or as formatted. Comments between them (on
/// their own lines or after code, or inside the first entry) do not: a
/// comment inside an entry is written at the next line break, often between
/// the two, and the run must be the same then, or a second format would
/// line the entries up anew.
fn neighbours(p: &Printer<'_>, a: Span, b: Span) -> bool {
    let gap = p.source(Span::new(a.end as usize, b.start as usize));
    let mut lines = gap.split('\n');
    let _ = lines.next();
    let _ = lines.next_back();
    let blank_between = lines.any(|l| l.trim().is_empty());
    !blank_between
}

/// The file's comments as the layout places them: a comment inside a
/// parameter, definition or header entry (which lines up with its
/// neighbours) loses the blank line above it. Written at a line break
/// outside the entry, it would otherwise open a blank line there, and a
/// second format would split the run the first one lined up.
pub(crate) fn comments_for_layout(file: &RuleFile) -> Vec<Comment> {
    let mut inside: Vec<Span> = Vec::new();
    for item in &file.items {
        if let Item::Policy(x) = item {
            inside.extend(
                x.order
                    .iter()
                    .filter(|e| class(e) != Class::Other)
                    .filter_map(|e| x.entry_span(e)),
            );
        }
    }
    file.comments
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if inside
                .iter()
                .any(|s| s.start < c.span.start && c.span.start < s.end)
            {
                c.blank_before = false;
            }
            c
        })
        .collect()
}

fn pad(p: &mut Printer<'_>, written: &str, width: usize) {
    let n = width.saturating_sub(written.width());
    p.put(&" ".repeat(n));
}

/// A policy: its entries in the order written.
fn policy(p: &mut Printer<'_>, x: &PolicyDecl) {
    p.put("policy ");
    p.put(&x.id.node);
    p.put(" {");
    p.open();
    let aligned = alignment(p, x);
    for (k, entry) in x.order.iter().enumerate() {
        let (names, types) = aligned.get(k).copied().unwrap_or((0, 0));
        match *entry {
            Entry::Title(span) => header(p, span, "title", names, x.title.as_ref().map(|t| t.span)),
            Entry::Source(span) => header(
                p,
                span,
                "source",
                names,
                x.source_text.as_ref().map(|t| t.span),
            ),
            Entry::Zone(span) => header(p, span, "zone", names, x.zone.as_ref().map(|t| t.span)),
            Entry::Currency(span) => header(
                p,
                span,
                "currency",
                names,
                x.currency.as_ref().map(|t| t.span),
            ),
            Entry::Subject(span) => {
                p.line(span.start, true);
                if let Some(s) = &x.subject {
                    p.put("subject");
                    pad(p, "subject", names);
                    p.put(" ");
                    p.put(&s.kind.name);
                    if let Some(f) = &s.filter {
                        p.put(" where ");
                        expr::expr(p, f);
                    }
                }
            }
            Entry::Effective(span) => {
                p.line(span.start, true);
                p.put("effective");
                pad(p, "effective", names);
                if let Some(w) = &x.effective {
                    window(p, w);
                }
            }
            Entry::Governed(span) => {
                p.line(span.start, true);
                if let Some(g) = &x.governed_by {
                    p.put("governed by ");
                    expr::expr(p, g);
                }
            }
            Entry::Param(i) => {
                if let Some(d) = x.params.get(i) {
                    p.line(d.span.start, true);
                    p.put("param ");
                    p.put(&d.name.name);
                    p.put(":");
                    pad(p, &d.name.name, names);
                    p.put(" ");
                    if d.default.is_some() {
                        let ty = expr::flat_type(p, &d.ty);
                        if p.fits(&ty) {
                            p.put(&ty);
                            pad(p, &ty, types);
                        } else {
                            expr::type_expr(p, &d.ty);
                        }
                    } else {
                        expr::type_expr(p, &d.ty);
                    }
                    if let Some(v) = &d.default {
                        p.put(" = ");
                        expr::value(p, v);
                    }
                }
            }
            Entry::Require(i) => {
                if let Some(r) = x.requires.get(i) {
                    p.line(r.span.start, true);
                    p.put("require ");
                    expr::expr(p, &r.condition);
                    if let Some(m) = &r.message {
                        p.put(" ");
                        p.verbatim(m.span);
                    }
                }
            }
            Entry::Let(i) => {
                if let Some(l) = x.lets.get(i) {
                    p.line(l.span.start, true);
                    p.put("let ");
                    p.put(&l.name.name);
                    pad(p, &l.name.name, names);
                    p.put(" = ");
                    expr::value(p, &l.value);
                }
            }
            Entry::Rank(i) => {
                if let Some(r) = x.ranks.get(i) {
                    p.line(r.span.start, true);
                    p.put("rank ");
                    p.put(&r.name.name);
                    p.put(" by ");
                    expr::expr(p, &r.score);
                    if let Some(per) = &r.per {
                        p.put(" per ");
                        expr::expr(p, per);
                    }
                    if let Some(f) = &r.filter {
                        p.put(" where ");
                        expr::expr(p, f);
                    }
                }
            }
            Entry::Rule(i) => {
                if let Some(r) = x.rules.get(i) {
                    rule(p, r);
                }
            }
        }
    }
    p.close(closing(x.span), "}");
}

/// `title "..."`, `zone Asia/Shanghai`: the word (padded to `width`) and the value as written.
fn header(p: &mut Printer<'_>, entry: Span, word: &str, width: usize, value: Option<Span>) {
    p.line(entry.start, true);
    p.put(word);
    pad(p, word, width);
    if let Some(v) = value {
        p.put(" ");
        p.put(p.source(v));
    }
}

/// `subject merchant where ...` or a rule's `on claim where ...`.
fn subject(p: &mut Printer<'_>, word: &str, s: &SubjectDecl) {
    p.put(word);
    p.put(" ");
    p.put(&s.kind.name);
    if let Some(f) = &s.filter {
        p.put(" where ");
        expr::expr(p, f);
    }
}

/// ` from X until Y`, the bounds as written.
fn window(p: &mut Printer<'_>, w: &Window) {
    if let Some(f) = &w.from {
        p.put(" from ");
        p.put(p.source(f.span));
    }
    if let Some(u) = &w.until {
        p.put(" until ");
        p.put(p.source(u.span));
    }
}

/// `let name = value`
fn let_decl(p: &mut Printer<'_>, l: &LetDecl) {
    p.line(l.span.start, true);
    p.put("let ");
    p.put(&l.name.name);
    p.put(" = ");
    expr::value(p, &l.value);
}

/// A rule: its header on one line, then its body or versions.
fn rule(p: &mut Printer<'_>, r: &RuleDecl) {
    p.line(r.span.start, true);
    p.put("rule ");
    p.put(&r.name.name);
    if let Some(t) = &r.title {
        p.put(" ");
        p.put(p.source(t.span));
    }
    if let Some(on) = &r.on {
        p.put(" ");
        subject(p, "on", on);
    }
    if let Some(each) = &r.each {
        rule_each(p, each);
    }
    p.put(" {");
    p.open();
    match &r.body {
        RuleBody::Single(c) => clauses(p, c),
        RuleBody::Versions(vs) => {
            for v in vs {
                p.line(v.span.start, true);
                p.put("version ");
                p.put(p.source(v.label.span));
                window(p, &v.window);
                p.put(" {");
                p.open();
                clauses(p, &v.clauses);
                p.close(closing(v.span), "}");
            }
        }
    }
    p.close(closing(r.span), "}");
}

/// `for r in xs [group by k: v, ... as g]` of a rule's header, broken at the
/// clauses before anything is broken inside a call: all on the header's line
/// when it fits; else `group by ...` on a line of its own, indented four
/// more; else `for ...` on its own line too, `group by ...` beside it when it
/// fits there.
fn rule_each(p: &mut Printer<'_>, each: &RuleEach) {
    let flat_for =
        expr::flat(p, &each.source).map(|source| format!("for {} in {source}", each.binder.name));
    let flat_group = match &each.group {
        None => Some(String::new()),
        Some(g) => g
            .keys
            .iter()
            .map(|(name, value)| expr::flat(p, value).map(|v| format!("{}: {v}", name.name)))
            .collect::<Option<Vec<_>>>()
            .map(|keys| format!("group by {} as {}", keys.join(", "), g.items.name)),
    };
    let base = p.indent;
    let continued = |text: &str| base + 4 + text.width() + 2 <= crate::WIDTH;
    let (for_here, group_beside) = match (&flat_for, &flat_group, &each.group) {
        (Some(f), Some(_), None) => (p.fits(&format!(" {f} {{")), false),
        (Some(f), Some(g), Some(_)) => {
            if p.fits(&format!(" {f} {g} {{")) {
                (true, true)
            } else if p.fits(&format!(" {f}")) && continued(g) {
                (true, false)
            } else {
                (false, continued(&format!("{f} {g}")))
            }
        }
        _ => (false, false),
    };
    p.indent = base + 4;
    if for_here {
        p.put(" ");
    } else {
        p.line(each.span.start, false);
    }
    each_for(p, each);
    if let Some(g) = &each.group {
        if group_beside {
            p.put(" ");
        } else {
            p.line(g.span.start, false);
        }
        group_by(p, g);
    }
    p.indent = base;
}

/// `for r in xs`
fn each_for(p: &mut Printer<'_>, each: &RuleEach) {
    p.put("for ");
    p.put(&each.binder.name);
    p.put(" in ");
    expr::expr(p, &each.source);
}

/// `group by k: v, ... as g`
fn group_by(p: &mut Printer<'_>, g: &GroupBy) {
    p.put("group by ");
    for (k, (name, value)) in g.keys.iter().enumerate() {
        if k > 0 {
            p.put(", ");
        }
        p.put(&name.name);
        p.put(": ");
        expr::expr(p, value);
    }
    p.put(" as ");
    p.put(&g.items.name);
}

/// `let`s, `when`, `then`, `message`.
fn clauses(p: &mut Printer<'_>, c: &Clauses) {
    for l in &c.lets {
        let_decl(p, l);
    }
    p.line(c.when.span.start, true);
    p.put("when ");
    expr::condition(p, &c.when);
    let first = c.effects.first().map_or(c.when.span.end, |e| e.span.start);
    p.line(first, true);
    p.put("then ");
    let flat: Option<Vec<String>> = c.effects.iter().map(|e| expr::flat_effect(p, e)).collect();
    match flat.map(|f| f.join(", ")) {
        Some(line) if p.fits(&line) => p.put(&line),
        _ => {
            // One effect per line, aligned under the first.
            let indent = p.indent;
            for (k, e) in c.effects.iter().enumerate() {
                if k > 0 {
                    p.put(",");
                    p.indent = indent + "then ".len();
                    p.line(e.span.start, false);
                }
                expr::effect_call(p, e);
            }
            p.indent = indent;
        }
    }
    if let Some(m) = &c.message {
        p.line(m.span.start, true);
        p.put("message ");
        p.verbatim(m.span);
    }
}
