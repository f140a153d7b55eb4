//! Guifan beside the engine a user would pick instead: the Douyin trial
//! policy's eleven rules written as GoRules ZEN expressions (`zen-expression`,
//! the Rust engine behind ZEN's decision tables), decided on the same
//! generated merchants, one thread, timed in turn.
//!
//! Which rules fire is compared on every merchant before anything is timed: a
//! figure for an engine that decides differently would mean nothing.
//!
//! `cargo bench -p guifan-bench --features engines --bench engines [N]`
//!
//! CEL (`cel-interpreter` 0.10) is not here: it cannot express the policy.
//! Its `getMonth` ignores the zone it is given (months are counted in each
//! timestamp's own offset, and the generator mixes offsets on purpose), and it
//! has no exact decimal, so money would pass through `f64`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "a benchmark fails loudly and prints its figures"
)]

use std::path::PathBuf;
use std::time::Duration;

use guifan::data::{records, InputFormat, RecordText};
use guifan::RuleSet;
use guifan_eval::{decode_subject, evaluate, Subject};
use zen_expression::variable::Variable;
use zen_expression::vm::VM;
use zen_expression::{Expression, Isolate};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AT: &str = "2023-04-20T12:00:00+08:00";
const ZONE: &str = "Asia/Shanghai";
const POLICY: &str = "douyin.zero_deposit_trial";

/// The policy as ZEN expressions, in the order a ZEN expression node runs
/// them: six helpers (read by the rules as `$.name`), then one boolean per
/// rule, true when it fires. Money is text in the data, read with `number()`
/// (ZEN's numbers are decimals, so this is exact).
fn expressions() -> Vec<(&'static str, String)> {
    let month_of = |x: &str| format!(r#"d({x}, "{ZONE}")"#);
    let same_month = format!(
        "withdrawal_request != null ? count(withdrawals, {w}.year() == {r}.year() and {w}.month() == {r}.month()) : 0",
        w = month_of("#.at"),
        r = month_of("withdrawal_request.at"),
    );
    let s = |t: &str| t.to_owned();
    vec![
        ("active", s("trial != null and trial.active == true")),
        ("personal", s(r#"store_type == "personal""#)),
        ("req", s("withdrawal_request != null")),
        ("same_month", same_month),
        ("out_of_range", s("withdrawal_request != null and (number(withdrawal_request.amount) < 100 or number(withdrawal_request.amount) > number(goods_balance) * 0.5)")),
        ("creator_points", s(r#"sum(map(filter(creator_deductions, d(#.at).isAfter(d(now).sub(30, "d")) and d(#.at).isSameOrBefore(d(now))), #.points))"#)),
        ("withdrawal_frequency", s("$.active and $.req and $.same_month >= 1")),
        ("withdrawal_amount", s("$.active and $.out_of_range")),
        ("deposit_top_up", s("$.active and $.req and $.same_month < 1 and not $.out_of_range and number(deposit.balance) >= 0")),
        ("negative_deposit", s("$.active and number(deposit.balance) < 0")),
        ("marketing_limits", s("$.active")),
        ("marketing_breach", s("$.active and (len(marketing.platform_campaigns) > 0 or marketing.affiliate_alliance or marketing.platform_subsidy)")),
        ("listing_cap", s("$.active and listings_online > ($.personal ? 100 : 200)")),
        ("shelf_only", s(r#"$.active and $.personal and (some(selling_channels, # == "live") or some(selling_channels, # == "short_video"))"#)),
        ("trial_exit", s("$.active and (number(deposit.balance) >= number(deposit.required) or paid_orders.count > ($.personal ? 100 : 200) or number(paid_orders.total) > ($.personal ? 5000 : 10000) or violations.general >= 2 or violations.severe >= 1 or violations.orders >= 11 or $.creator_points >= 4)")),
        ("post_trial_controls", s("trial != null and trial.active == false and trial.ended_at != null and number(deposit.balance) < number(deposit.required)")),
        ("settling_funds", s("$.active and received_orders != null and len(received_orders) > 0")),
    ]
}

/// How many of [`expressions`] are helpers rather than rules.
const HELPERS: usize = 6;

/// The trial policy compiled for ZEN once, run with one reused VM.
struct Zen {
    compiled: Vec<(
        &'static str,
        Expression<zen_expression::expression::Standard>,
    )>,
    vm: VM,
}

impl Zen {
    fn new() -> Zen {
        let mut isolate = Isolate::new();
        let compiled = expressions()
            .into_iter()
            .map(|(key, source)| {
                let code = isolate
                    .compile_standard(&source)
                    .unwrap_or_else(|e| panic!("ZEN refuses `{key}`: {e}"));
                (key, code)
            })
            .collect();
        Zen {
            compiled,
            vm: VM::new(),
        }
    }

    /// The merchant's JSON as ZEN's input, with `now` beside its fields.
    fn input(line: &[u8]) -> Variable {
        let input: Variable = serde_json::from_slice(line).expect("a merchant");
        input.dot_insert("now", Variable::from(serde_json::Value::from(AT)));
        input
    }

    /// The rules that fire on `input`, as the last part of their IDs.
    fn fired(&mut self, input: Variable) -> Vec<&'static str> {
        let dollar = Variable::empty_object();
        let mut scope = zen_expression::scope::Scope::new(input);
        scope.set_local(Variable::dollar_key(), dollar.shallow_clone());
        let mut fired = Vec::new();
        for (i, (key, code)) in self.compiled.iter().enumerate() {
            let value = code
                .evaluate_with_scope(&scope, &mut self.vm)
                .unwrap_or_else(|e| panic!("ZEN fails on `{key}`: {e}"));
            if i < HELPERS {
                dollar.dot_insert(key, value);
            } else if value.as_bool() == Some(true) {
                fired.push(*key);
            }
        }
        fired
    }
}

/// The rules of the trial policy that fire on `subject`, as the last part of their IDs.
fn guifan_fired(
    rules: &RuleSet,
    subject: &Subject,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Vec<String> {
    let outcome = evaluate(rules.program(), subject, now);
    assert!(
        outcome.errors.is_empty(),
        "guifan fails: {:?}",
        outcome.errors
    );
    outcome
        .decisions
        .iter()
        .filter_map(|d| {
            d.rule
                .strip_prefix(POLICY)?
                .strip_prefix('.')
                .map(str::to_owned)
        })
        .collect()
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let data = guifan_bench::trial_merchants(n, 42);
    let rules = RuleSet::from_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules"))
        .expect("bundled rules check");
    let now = AT.parse().expect("a time");
    let lines: Vec<RecordText<'_>> = records(data.as_bytes(), InputFormat::Jsonl).expect("records");
    let schema = rules.program().schema();
    let subjects: Vec<Subject> = lines
        .iter()
        .map(|r| decode_subject(schema, &r.json).expect("a merchant"))
        .collect();
    let mut zen = Zen::new();

    // The same rules fire on every merchant, or no figure is printed.
    let mut fired = 0;
    for (line, subject) in lines.iter().zip(&subjects) {
        let mut ours = guifan_fired(&rules, subject, now);
        let mut theirs: Vec<String> = zen
            .fired(Zen::input(&line.json))
            .into_iter()
            .map(str::to_owned)
            .collect();
        ours.sort();
        theirs.sort();
        assert_eq!(
            ours, theirs,
            "guifan and ZEN disagree on line {}",
            line.line
        );
        fired += ours.len();
    }
    println!("{n} trial merchants: guifan and ZEN agree on all of them ({fired} rules fired)");

    let inputs: Vec<Variable> = lines.iter().map(|r| Zen::input(&r.json)).collect();
    let rounds = 7;
    let sink = std::cell::Cell::new(0usize);
    let zen = std::cell::RefCell::new(zen);
    let mut phases: [&mut dyn FnMut(); 4] = [
        &mut || {
            for r in &lines {
                let s = decode_subject(schema, &r.json).expect("a merchant");
                sink.set(sink.get() + evaluate(rules.program(), &s, now).decisions.len());
            }
        },
        &mut || {
            for s in &subjects {
                sink.set(sink.get() + evaluate(rules.program(), s, now).decisions.len());
            }
        },
        &mut || {
            for r in &lines {
                sink.set(sink.get() + zen.borrow_mut().fired(Zen::input(&r.json)).len());
            }
        },
        &mut || {
            for input in &inputs {
                sink.set(sink.get() + zen.borrow_mut().fired(input.shallow_clone()).len());
            }
        },
    ];
    let best = guifan_bench::interleaved(rounds, &mut phases);
    std::hint::black_box(sink.get());
    let per_s = |d: &Duration| n as f64 / d.as_secs_f64();
    let [whole, eval, zen_whole, zen_eval] =
        <[f64; 4]>::try_from(best.iter().map(per_s).collect::<Vec<_>>()).expect("four phases");
    println!("one thread, best of {rounds} interleaved rounds, records/s:");
    println!("| | guifan | zen-expression | guifan ÷ ZEN |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| JSON text to decisions | {whole:.0} | {zen_whole:.0} | {:.1}× |",
        whole / zen_whole
    );
    println!(
        "| decided input to decisions | {eval:.0} | {zen_eval:.0} | {:.1}× |",
        eval / zen_eval
    );
    println!(
        "(guifan also makes each decision's effects and message; ZEN only says which rules fire)"
    );
}
