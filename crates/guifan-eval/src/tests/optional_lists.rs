//! An optional list is iterated like a list that is empty when absent, and
//! `xs ?? []` keeps the type of the items of `xs`.

use super::{codes, fired, wrap, RECORD};

const RULES: &str = r#"
    rule big for o in received_orders {
      when o.amount > 100 CNY
      then violation(code: o.id)
      message "{o.id}"
    }
    rule big_defaulted for o in received_orders ?? [] {
      when o.amount > 100 CNY
      then violation(code: o.id)
    }
    rule grouped for o in received_orders group by id: o.id as same {
      when count(same) > 1
      then violation(code: id)
    }
    rule counted {
      let n = count(o for o in received_orders where o.amount > 100 CNY)
      when n == count(received_orders ?? []) - 1 or n == 0
      then violation(code: "counted")
      message "{n} {sum(o.amount for o in received_orders)}"
    }
"#;

#[test]
fn an_absent_list_yields_no_item() {
    assert_eq!(fired(RULES, RECORD), ["t.p.counted: 0 0.00 CNY"]);
}

#[test]
fn a_present_optional_list_yields_its_items() {
    let record = RECORD.replace(
        r#""goods_balance""#,
        r#""received_orders":[{"id":"o1","amount":"150.00"},{"id":"o1","amount":"50.00"}],"goods_balance""#,
    );
    assert_eq!(
        fired(RULES, &record),
        [
            "t.p.big: o1",
            "t.p.big_defaulted",
            "t.p.grouped",
            "t.p.counted: 1 200.00 CNY"
        ]
    );
}

#[test]
fn a_default_list_takes_its_item_type_from_the_left() {
    assert!(codes(&wrap(
        "let firsts = map(o.id for o in received_orders ?? []) rule r { when \"o1\" in firsts then violation(code: \"x\") }"
    ))
    .is_empty());
    // Only iteration forgives absence: an optional list's length is still optional.
    assert_eq!(
        codes(&wrap(
            "rule r { when len(received_orders) > 1 then violation(code: \"x\") }"
        )),
        ["guifan::check::maybe_absent"]
    );
}
