//! Benchmark data for Guifan: deterministic generators of catalogue records.
//!
//! `guifan-gen --merchants 100000 > merchants.jsonl` writes Douyin
//! zero-deposit-trial merchants whose values straddle every threshold of
//! `douyin.zero_deposit_trial`, so that each rule fires on some of them;
//! `guifan-gen --mix 100000` records of every kind of the catalogue
//! ([`kinds::mix`]), and `guifan-gen --videos 100000` Ramadan videos.

use std::fmt::Write;

pub mod kinds;
pub mod parquet;
pub mod reference;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn money(rng: &mut StdRng, max_fen: i64) -> String {
    let fen = rng.gen_range(0..=max_fen);
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn timestamp(rng: &mut StdRng, month: u32) -> String {
    let day = rng.gen_range(1..=28);
    let hour = rng.gen_range(0..24);
    let minute = rng.gen_range(0..60);
    format!("2023-{month:02}-{day:02}T{hour:02}:{minute:02}:00+08:00")
}

/// Instants on the edges of the trial's windows at the mix's evaluation time
/// ([`kinds::MIX_AT`], 2023-03-16T12:00+08:00), some written in another
/// offset than Shanghai's: a second more and exactly 30 days before (outside
/// the creator window), a second less, exactly 21 days before (settled), now itself (inside), and just
/// after now.
const TRIAL_EDGES: [&str; 7] = [
    "2023-02-14T11:59:59+08:00",
    "2023-02-14T12:00:00+08:00",
    "2023-02-14T04:00:01Z",
    "2023-02-23T12:00:00+08:00",
    "2023-03-16T12:00:00+08:00",
    "2023-03-16T04:00:00Z",
    "2023-03-16T07:00:01+03:00",
];

/// A timestamp in `month`, or now and then one of [`TRIAL_EDGES`].
fn trial_instant(rng: &mut StdRng, month: u32) -> String {
    if rng.gen_bool(0.15) {
        kinds::pick(rng, &TRIAL_EDGES).to_string()
    } else {
        timestamp(rng, month)
    }
}

/// Fen as a decimal string (`-12.34`).
fn fen_text(fen: i64) -> String {
    format!(
        "{}{}.{:02}",
        if fen < 0 { "-" } else { "" },
        fen.abs() / 100,
        fen.abs() % 100
    )
}

/// One Douyin trial merchant as a JSON line (no newline). Values straddle
/// every threshold of `douyin.zero_deposit_trial`, and now and then sit
/// exactly on one (a zero deposit, a deposit just full, listings at a cap, an order count or
/// total at the cap, a withdrawal of exactly 100 CNY or half the goods
/// balance, deductions and receipts on the windows' edges).
pub fn trial_merchant(rng: &mut StdRng, i: usize) -> String {
    let store = match rng.gen_range(0..3) {
        0 => "personal",
        1 => "individual",
        _ => "enterprise",
    };
    let personal = store == "personal";
    let active = rng.gen_bool(0.8);
    let ended = if active {
        "null".to_string()
    } else {
        format!("\"{}\"", timestamp(rng, 3))
    };
    let balance_fen: i64 = match rng.gen_range(0..12) {
        0 => 0,
        1 => 200_000,
        2 => 199_999,
        _ => rng.gen_range(-20_000..=250_000),
    };
    let balance = fen_text(balance_fen);
    let channels = if rng.gen_bool(0.1) {
        r#"["shelf","live"]"#
    } else {
        r#"["shelf"]"#
    };
    let campaigns = if rng.gen_bool(0.05) {
        r#"["618"]"#
    } else {
        "[]"
    };
    let mut deductions = String::from("[");
    for k in 0..rng.gen_range(0..4) {
        if k > 0 {
            deductions.push(',');
        }
        let month = rng.gen_range(3..=4);
        let at = trial_instant(rng, month);
        let _ = write!(
            deductions,
            r#"{{"at":"{at}","points":{}}}"#,
            rng.gen_range(1..=3)
        );
    }
    deductions.push(']');
    let mut withdrawals = String::from("[");
    for k in 0..rng.gen_range(0..3) {
        if k > 0 {
            withdrawals.push(',');
        }
        let month = rng.gen_range(2..=4);
        let at = timestamp(rng, month);
        let _ = write!(
            withdrawals,
            r#"{{"at":"{at}","amount":"{}"}}"#,
            money(rng, 300_000)
        );
    }
    withdrawals.push(']');
    let goods_fen = rng.gen_range(0..=2_000_000i64);
    let request = if rng.gen_bool(0.6) {
        let amount = match rng.gen_range(0..10) {
            0 => "100.00".to_string(),
            1 => "99.99".to_string(),
            2 => fen_text(goods_fen / 2),
            _ => money(rng, 600_000),
        };
        format!(
            r#","withdrawal_request":{{"at":"{}","amount":"{amount}"}}"#,
            timestamp(rng, 4),
        )
    } else {
        String::new()
    };
    let received = match rng.gen_range(0..10) {
        0..=4 => format!(
            r#","received_orders":[{{"id":"o-{i}-1","received_at":"{}","amount":"{}"}},{{"id":"o-{i}-2","received_at":"{}","amount":{}}}]"#,
            trial_instant(rng, 4),
            money(rng, 50_000),
            trial_instant(rng, 3),
            money(rng, 50_000)
        ),
        5 => r#","received_orders":[]"#.to_string(),
        _ => String::new(),
    };
    let (order_cap, paid_cap_fen) = if personal {
        (100, 500_000)
    } else {
        (200, 1_000_000)
    };
    let orders = match rng.gen_range(0..10) {
        0 => order_cap,
        1 => order_cap + 1,
        _ => rng.gen_range(0..=260),
    };
    let total = match rng.gen_range(0..10) {
        0 => fen_text(paid_cap_fen),
        1 => fen_text(paid_cap_fen + 1),
        _ => money(rng, 1_500_000),
    };
    format!(
        concat!(
            r#"{{"kind":"merchant","id":"dy-{i}","platform":"douyin","currency":"CNY","store_type":"{store}","#,
            r#""trial":{{"active":{active},"ended_at":{ended}}},"deposit":{{"balance":"{balance}","required":"2000.00"}},"#,
            r#""goods_balance":"{goods}","listings_online":{listings},"selling_channels":{channels},"#,
            r#""marketing":{{"platform_campaigns":{campaigns},"affiliate_alliance":{alliance},"platform_subsidy":{subsidy}}},"#,
            r#""paid_orders":{{"count":{orders},"total":"{total}"}},"violations":{{"general":{general},"severe":{severe},"orders":{vorders}}},"#,
            r#""creator_deductions":{deductions},"withdrawals":{withdrawals}{request}{received}}}"#
        ),
        i = i,
        store = store,
        active = active,
        ended = ended,
        balance = balance,
        goods = fen_text(goods_fen),
        listings = match rng.gen_range(0..10) {
            0 => 100,
            1 => 200,
            _ => rng.gen_range(0..=260),
        },
        channels = channels,
        campaigns = campaigns,
        alliance = rng.gen_bool(0.05),
        subsidy = rng.gen_bool(0.05),
        orders = orders,
        total = total,
        general = rng.gen_range(0..=3),
        severe = rng.gen_range(0..=2) * u8::from(rng.gen_bool(0.1)),
        vorders = rng.gen_range(0..=12),
        deductions = deductions,
        withdrawals = withdrawals,
        request = request,
        received = received,
    )
}

/// `n` trial merchants as JSON Lines, the same for the same seed.
pub fn trial_merchants(n: usize, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = String::with_capacity(n * 900);
    for i in 0..n {
        out.push_str(&trial_merchant(&mut rng, i));
        out.push('\n');
    }
    out
}

/// The least time of `rounds` runs of each phase, the phases taken in turn
/// within each round so that the machine's noise falls on all of them alike.
pub fn interleaved(rounds: usize, phases: &mut [&mut dyn FnMut()]) -> Vec<std::time::Duration> {
    let mut best = vec![std::time::Duration::MAX; phases.len()];
    for _ in 0..rounds {
        for (phase, best) in phases.iter_mut().zip(&mut best) {
            let t = std::time::Instant::now();
            phase();
            *best = (*best).min(t.elapsed());
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_merchants_are_valid_json_and_deterministic() {
        let a = trial_merchants(200, 7);
        assert_eq!(a, trial_merchants(200, 7));
        for line in a.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
            assert_eq!(v["kind"], "merchant");
        }
    }
}
