//! What a watched evaluation tells its tracer.

use std::cell::RefCell;

use super::{now, program, record_subject, wrap};
use crate::evaluate_traced;

/// An `if` ladder tells which branch was taken of how many, the final
/// `else` counted (a survivor of the mutation run: the count went unchecked).
#[test]
fn an_if_ladder_tells_the_branch_taken_and_how_many_there_are() {
    #[derive(Default)]
    struct Branches(Vec<(usize, usize)>);
    impl crate::Tracer for Branches {
        fn branch(&mut self, _: guifan_syntax::Span, taken: usize, of: usize) {
            self.0.push((taken, of));
        }
    }
    let program = program(&wrap(
        "rule r { when (if listings_online > 1000 then 1 else if listings_online > 100 then 2 else 3) == 2 then violation(code: \"x\") }",
    ))
    .unwrap_or_else(|e| panic!("{e:?}"));
    let subject = record_subject(&program);
    let now = now();
    let seen = RefCell::new(Branches::default());
    let outcome = evaluate_traced(&program, &subject, now, None, &seen);
    assert_eq!(outcome.decisions.len(), 1);
    assert_eq!(seen.into_inner().0, [(1, 3)]);
    // The final `else`, taken, is the last of them.
    let program = super::program(&wrap(
        "rule r { when (if listings_online > 1000 then 1 else if listings_online > 500 then 2 else 3) == 3 then violation(code: \"x\") }",
    ))
    .unwrap_or_else(|e| panic!("{e:?}"));
    let subject = record_subject(&program);
    let seen = RefCell::new(Branches::default());
    let outcome = evaluate_traced(&program, &subject, now, None, &seen);
    assert_eq!(outcome.decisions.len(), 1);
    assert_eq!(seen.into_inner().0, [(2, 3)]);
}

/// What `and` and `or` left out by short-circuiting is told, operand by
/// operand, in the order written.
#[test]
fn short_circuits_tell_what_they_skipped() {
    #[derive(Default)]
    struct Skipped(Vec<guifan_syntax::Span>);
    impl crate::Tracer for Skipped {
        fn skipped(&mut self, span: guifan_syntax::Span) {
            self.0.push(span);
        }
    }
    let policy = wrap(
        "rule r { when listings_online > 1000 and listings_online > 1 and listings_online > 2 then violation(code: \"x\") } \
         rule s { when listings_online > 1 or listings_online > 3 then violation(code: \"y\") }",
    );
    let program = super::program(&policy).unwrap_or_else(|e| panic!("{e:?}"));
    let subject = record_subject(&program);
    let seen = RefCell::new(Skipped::default());
    let _ = evaluate_traced(&program, &subject, now(), None, &seen);
    let texts: Vec<&str> = seen
        .into_inner()
        .0
        .iter()
        .map(|s| policy.get(s.start as usize..s.end as usize).unwrap_or("?"))
        .collect();
    assert_eq!(
        texts,
        [
            "listings_online > 1",
            "listings_online > 2",
            "listings_online > 3"
        ]
    );
}
