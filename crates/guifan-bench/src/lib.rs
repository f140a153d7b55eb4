//! Benchmark data for Guifan: deterministic generators of catalogue records.
//!
//! `guifan-gen --merchants 100000 > merchants.jsonl` writes Douyin
//! zero-deposit-trial merchants whose values straddle every threshold of
//! `douyin.zero_deposit_trial`, so that each rule fires on some of them;
//! `guifan-gen --mix 100000` records of every kind of the catalogue
//! ([`kinds::mix`]), and `guifan-gen --videos 100000` Ramadan videos.

use std::fmt::Write;

pub mod kinds;
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

/// One Douyin trial merchant as a JSON line (no newline).
pub fn trial_merchant(rng: &mut StdRng, i: usize) -> String {
    let store = match rng.gen_range(0..3) {
        0 => "personal",
        1 => "individual",
        _ => "enterprise",
    };
    let active = rng.gen_bool(0.9);
    let ended = if active {
        "null".to_string()
    } else {
        format!("\"{}\"", timestamp(rng, 3))
    };
    let balance_fen: i64 = rng.gen_range(-20_000..=250_000);
    let balance = format!(
        "{}{}.{:02}",
        if balance_fen < 0 { "-" } else { "" },
        balance_fen.abs() / 100,
        balance_fen.abs() % 100
    );
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
        let at = timestamp(rng, month);
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
    let request = if rng.gen_bool(0.6) {
        format!(
            r#","withdrawal_request":{{"at":"{}","amount":"{}"}}"#,
            timestamp(rng, 4),
            money(rng, 600_000)
        )
    } else {
        String::new()
    };
    let received = if rng.gen_bool(0.5) {
        format!(
            r#","received_orders":[{{"id":"o-{i}-1","received_at":"{}","amount":"{}"}},{{"id":"o-{i}-2","received_at":"{}","amount":{}}}]"#,
            timestamp(rng, 4),
            money(rng, 50_000),
            timestamp(rng, 3),
            money(rng, 50_000)
        )
    } else {
        String::new()
    };
    format!(
        concat!(
            r#"{{"kind":"merchant","id":"dy-{i}","platform":"douyin","currency":"CNY","store_type":"{store}","#,
            r#""trial":{{"active":{active},"ended_at":{ended}}},"deposit":{{"balance":"{balance}","required":"2000.00"}},"#,
            r#""goods_balance":"{goods}","listings_online":{listings},"selling_channels":{channels},"#,
            r#""marketing":{{"platform_campaigns":{campaigns},"affiliate_alliance":{alliance},"platform_subsidy":false}},"#,
            r#""paid_orders":{{"count":{orders},"total":"{total}"}},"violations":{{"general":{general},"severe":{severe},"orders":{vorders}}},"#,
            r#""creator_deductions":{deductions},"withdrawals":{withdrawals}{request}{received}}}"#
        ),
        i = i,
        store = store,
        active = active,
        ended = ended,
        balance = balance,
        goods = money(rng, 2_000_000),
        listings = rng.gen_range(0..=260),
        channels = channels,
        campaigns = campaigns,
        alliance = rng.gen_bool(0.05),
        orders = rng.gen_range(0..=260),
        total = money(rng, 1_500_000),
        general = rng.gen_range(0..=2),
        severe = u8::from(rng.gen_bool(0.05)),
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
