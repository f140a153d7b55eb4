//! Generated records of every kind in the catalogue, their values straddling
//! the policies' boundaries, for benchmarks and coverage: with
//! `--at 2023-03-16T12:00:00+08:00` (a Thursday in the Ramadan campaign) every
//! rule of `rules/` fires on some of them.

use rand::rngs::StdRng;
use rand::Rng;

/// The evaluation time the mix is made for.
pub const MIX_AT: &str = "2023-03-16T12:00:00+08:00";

/// One of `items`, chosen at random.
pub(crate) fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items
        .get(rng.gen_range(0..items.len()))
        .copied()
        .unwrap_or_default()
}

/// A local time in March 2023 (Asia/Shanghai offset), on days `from..=to`.
fn march(rng: &mut StdRng, from: u32, to: u32) -> String {
    format!(
        "2023-03-{:02}T{:02}:{:02}:{:02}+08:00",
        rng.gen_range(from..=to),
        rng.gen_range(0..24),
        rng.gen_range(0..60),
        rng.gen_range(0..60)
    )
}

fn amount(rng: &mut StdRng, low: i64, high: i64) -> String {
    let fen = rng.gen_range(low * 100..=high * 100);
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn shop_reminders(rng: &mut StdRng, i: usize) -> String {
    let mut reminders = Vec::new();
    for _ in 0..rng.gen_range(0..6) {
        reminders.push(format!(
            r#"{{"user":"u-{}","at":"2023-03-0{}T{:02}:{:02}:00+08:00","source":"{}","trigger":"{}"}}"#,
            rng.gen_range(1..=2),
            rng.gen_range(1..=2),
            rng.gen_range(7..=22),
            rng.gen_range(0..60),
            pick(rng, &["system", "agent"]),
            pick(rng, &["unordered", "unpaid"])
        ));
    }
    format!(
        r#"{{"kind":"shop_reminders","id":"sr-{i}","platform":"douyin","settings":{{"auto":{},"delay_minutes":{},"window_start":"{}","window_end":"{}"}},"reminders":[{}]}}"#,
        rng.gen_bool(0.9),
        rng.gen_range(2..=11),
        pick(rng, &["08:59", "09:00", "10:00"]),
        pick(rng, &["18:00", "21:00", "21:01"]),
        reminders.join(",")
    )
}

fn claim(rng: &mut StdRng, i: usize) -> String {
    format!(
        r#"{{"kind":"claim","id":"c-{i}","platform":"douyin","order_at":"2023-02-{}T{:02}:00:00+08:00","price":"{}","finding":"{}"}}"#,
        rng.gen_range(20..=27),
        rng.gen_range(0..24),
        amount(rng, 1, 400),
        pick(rng, &["counterfeit", "genuine", "pending"])
    )
}

fn shipment(rng: &mut StdRng, i: usize) -> String {
    format!(
        r#"{{"kind":"shipment","id":"sh-{i}","platform":"douyin","order_source":"{}","shipped_at":"2021-0{}-{:02}T10:00:00+08:00","waybill":"{}{:09}"}}"#,
        pick(
            rng,
            &[
                "douyin_store",
                "douyin_store",
                "taobao_redirect",
                "pinduoduo_redirect"
            ]
        ),
        rng.gen_range(7..=8),
        rng.gen_range(1..=31),
        pick(rng, &["553", "773", "155"]),
        rng.gen_range(0..1_000_000_000u32)
    )
}

fn buyer(rng: &mut StdRng, i: usize) -> String {
    let mut reports = Vec::new();
    for _ in 0..rng.gen_range(0..7) {
        reports.push(format!(
            r#"{{"shop":"s{}","at":"{}","upheld":{}}}"#,
            rng.gen_range(1..=6),
            march(rng, 1, 16),
            rng.gen_bool(0.8)
        ));
    }
    format!(
        r#"{{"kind":"buyer","id":"u-{i}","platform":"kuaishou","reports":[{}]}}"#,
        reports.join(",")
    )
}

fn violation_case(rng: &mut StdRng, i: usize) -> String {
    let appeals: Vec<String> = (0..rng.gen_range(0..4))
        .map(|_| format!(r#"{{"at":"{}"}}"#, march(rng, 1, 10)))
        .collect();
    format!(
        r#"{{"kind":"violation_case","id":"vc-{i}","platform":"kuaishou","merchant":"m","role":"{}","status":"{}","appeals":[{}],"appeal_request":{{"at":"2022-11-{}T10:00:00+08:00"}}}}"#,
        pick(rng, &["merchant", "delivery_expert", "operator"]),
        pick(rng, &["pending", "pending", "resolved"]),
        appeals.join(","),
        rng.gen_range(17..=22)
    )
}

fn presale_listing(rng: &mut StdRng, i: usize) -> String {
    let after_end = rng.gen_bool(0.5);
    let mut orders = Vec::new();
    for k in 0..rng.gen_range(0..4) {
        let ordered = march(rng, 1, 10);
        let paid = if rng.gen_bool(0.8) {
            format!(
                r#""{}""#,
                ordered.replace(":00+08:00", &format!(":{:02}+08:00", rng.gen_range(0..60)))
            )
        } else {
            "null".into()
        };
        let waybill = if rng.gen_bool(0.5) {
            format!(r#""{}""#, march(rng, 10, 16))
        } else {
            "null".into()
        };
        orders.push(format!(
            r#"{{"id":"o-{i}-{k}","ordered_at":"{ordered}","paid_at":{paid},"waybill_uploaded_at":{waybill}}}"#
        ));
    }
    let mode = if after_end {
        format!(
            r#""mode":"ship_after_presale_end","presale_end":"2023-03-0{}T00:00:00+08:00","ship_within_hours":{}"#,
            rng.gen_range(5..=9),
            pick(rng, &["24", "48", "72", "36"])
        )
    } else {
        format!(
            r#""mode":"ship_after_payment","ship_within_days":{}"#,
            rng.gen_range(3..=16)
        )
    };
    format!(
        r#"{{"kind":"presale_listing","id":"p-{i}","platform":"wechat_channels","created_at":"{}",{mode},"price":"{}","price_changed":{},"orders":[{}]}}"#,
        march(rng, 1, 5),
        amount(rng, 45, 60),
        rng.gen_bool(0.05),
        orders.join(",")
    )
}

fn video(rng: &mut StdRng, i: usize) -> String {
    let mut days = Vec::new();
    for d in 1..=15 {
        if rng.gen_bool(0.5) {
            days.push(format!(r#""2023-03-{d:02}":"{}""#, amount(rng, 0, 2500)));
        }
    }
    format!(
        r#"{{"kind":"video","id":"v-{i}","platform":"tiktok_shop","market":"{}","account":"acc-{}","posted_at":"2023-0{}-{:02}T20:00:00+08:00","hashtags":["{}"],"cross_border_product":{},"gmv_by_day":{{{}}}}}"#,
        pick(rng, &["MY", "MY", "MY", "SG"]),
        rng.gen_range(1..=50),
        rng.gen_range(2..=3),
        rng.gen_range(1..=28),
        pick(
            rng,
            &["#TikTokShopBazaarRamadan", "tiktokshopbazaarraya", "#other"]
        ),
        rng.gen_bool(0.9),
        days.join(",")
    )
}

fn live_session(rng: &mut StdRng, i: usize) -> String {
    format!(
        r#"{{"kind":"live_session","id":"ls-{i}","platform":"tiktok_shop","account":"acc-{}","started_at":"2022-12-{}T20:00:00+08:00","prerecorded":{},"content_owner":"acc-{}","prior_offences":{}}}"#,
        rng.gen_range(1..=3),
        rng.gen_range(18..=31),
        rng.gen_bool(0.5),
        rng.gen_range(1..=3),
        rng.gen_range(0..=3)
    )
}

fn tiktok_merchant(rng: &mut StdRng, i: usize) -> String {
    let reviews: Vec<String> = (0..rng.gen_range(0..5))
        .map(|_| {
            format!(
                r#"{{"at":"{}","negative":{},"cause":"{}"}}"#,
                march(rng, 1, 15),
                rng.gen_bool(0.3),
                pick(rng, &["product_safety", "product", "shop", "logistics"])
            )
        })
        .collect();
    let count = rng.gen_range(0..300);
    format!(
        r#"{{"kind":"merchant","id":"tt-{i}","platform":"tiktok_shop","reviews":[{}],"orders":{{"count":{count},"late_fulfilled":{}}}}}"#,
        reviews.join(","),
        rng.gen_range(0..=count / 10)
    )
}

const CHAT: [&str; 8] = [
    "Спасибо за покупку!",
    "Да",
    "Напишите нам в telegram @shop",
    "Оставьте номер телефона",
    "Сами вы идиот",
    "Удалите отзыв, или пожалеете",
    "Дешевле на shop-example.ru",
    "Здравствуйте, заказ отправлен",
];

fn seller_chat(rng: &mut StdRng, i: usize) -> String {
    let messages: Vec<String> = (0..rng.gen_range(0..4))
        .map(|k| {
            format!(
                r#"{{"id":"m-{k}","at":"2023-03-0{}T10:00:00+03:00","from":"{}","text":"{}"}}"#,
                rng.gen_range(1..=9),
                pick(rng, &["seller", "seller", "buyer"]),
                pick(rng, &CHAT)
            )
        })
        .collect();
    if rng.gen_bool(0.5) {
        let questions: Vec<String> = (0..rng.gen_range(0..3))
            .map(|k| {
                let answered = if rng.gen_bool(0.7) {
                    format!(
                        r#","answered_at":"2023-03-{:02}T10:00:00+03:00","answer":"{}""#,
                        rng.gen_range(2..=14),
                        pick(rng, &CHAT)
                    )
                } else {
                    String::new()
                };
                format!(
                    r#"{{"id":"q-{k}","asked_at":"2023-03-0{}T10:00:00+03:00"{answered}}}"#,
                    rng.gen_range(1..=3)
                )
            })
            .collect();
        format!(
            r#"{{"kind":"seller_chat","id":"wb-{i}","platform":"wildberries","questions":[{}],"messages":[{}]}}"#,
            questions.join(","),
            messages.join(",")
        )
    } else {
        format!(
            r#"{{"kind":"seller_chat","id":"oz-{i}","platform":"ozon","order":{{"delivery":"{}","placed_on_request":{}}},"messages":[{}]}}"#,
            pick(rng, &["seller", "ozon"]),
            rng.gen_bool(0.3),
            messages.join(",")
        )
    }
}

fn purchase(rng: &mut StdRng, i: usize) -> String {
    format!(
        r#"{{"kind":"purchase","id":"pu-{i}","platform":"tmall","buyer":"b-{i}","paid_at":"2022-11-11T{:02}:00:00+08:00","amount":"{}"}}"#,
        rng.gen_range(0..24),
        amount(rng, 9, 11)
    )
}

fn pickup_request(rng: &mut StdRng, i: usize) -> String {
    format!(
        r#"{{"kind":"pickup_request","id":"pk-{i}","platform":"cainiao","pilot_city":{},"slot_end":"{}"}}"#,
        rng.gen_bool(0.5),
        pick(rng, &["18:30", "19:00", "19:01", "21:00", "21:01"])
    )
}

fn delivery_request(rng: &mut StdRng, i: usize) -> String {
    let day = rng.gen_range(10..=19);
    let hour = rng.gen_range(8..=23);
    let end = pick(rng, &["2h", "2h", "3h"]);
    let end_hour = hour + if end == "3h" { 3 } else { 2 };
    let (end_day, end_hour) = if end_hour >= 24 {
        (day + 1, end_hour - 24)
    } else {
        (day, end_hour)
    };
    format!(
        r#"{{"kind":"delivery_request","id":"dr-{i}","platform":"jd","requested_at":"2022-11-10T10:00:00+08:00","slot_start":"2022-11-{day}T{hour:02}:00:00+08:00","slot_end":"2022-11-{end_day}T{end_hour:02}:00:00+08:00"}}"#
    )
}

/// One record of the `i`th kind in turn: every kind of the catalogue, Douyin
/// trial merchants included (as [`crate::trial_merchant`]).
pub fn catalogue_record(rng: &mut StdRng, i: usize) -> String {
    match i % 14 {
        0 => crate::trial_merchant(rng, i),
        1 => shop_reminders(rng, i),
        2 => claim(rng, i),
        3 => shipment(rng, i),
        4 => buyer(rng, i),
        5 => violation_case(rng, i),
        6 => presale_listing(rng, i),
        7 => video(rng, i),
        8 => live_session(rng, i),
        9 => tiktok_merchant(rng, i),
        10 | 11 => seller_chat(rng, i),
        12 => {
            if rng.gen_bool(0.5) {
                purchase(rng, i)
            } else {
                pickup_request(rng, i)
            }
        }
        _ => delivery_request(rng, i),
    }
}

/// Videos only (the ranking policy), for measuring two-pass runs.
pub fn videos(n: usize, seed: u64) -> String {
    use rand::SeedableRng;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = String::with_capacity(n * 500);
    for i in 0..n {
        out.push_str(&video(&mut rng, i));
        out.push('\n');
    }
    out
}

/// `n` records of every kind in turn, the same for the same seed.
pub fn mix(n: usize, seed: u64) -> String {
    use rand::SeedableRng;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = String::with_capacity(n * 600);
    for i in 0..n {
        out.push_str(&catalogue_record(&mut rng, i));
        out.push('\n');
    }
    out
}
