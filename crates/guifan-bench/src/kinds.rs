//! Generated records of every kind in the catalogue, their values straddling
//! the policies' boundaries, for benchmarks and coverage: with
//! `--at 2023-03-16T12:00:00+08:00` (a Thursday in the Ramadan campaign) every
//! rule of `rules/` fires on some of them, every branch is taken, and every
//! comparison sees values below, at and above its bound
//! (`tests/coverage.rs` holds the mix to that). Records of other platforms
//! are mixed in, and some timestamps are written in another offset than
//! their policy's zone.

use chrono::{DateTime, Duration, FixedOffset};
use rand::rngs::StdRng;
use rand::Rng;

/// The evaluation time the mix is made for.
pub const MIX_AT: &str = "2023-03-16T12:00:00+08:00";

/// Further evaluation times at which what depends on the evaluation time
/// alone changes: just before the zero-deposit trial is in force (it starts
/// 2023-02-28 in Shanghai), and the Ramadan campaign's edges (yesterday
/// before its first day and on it, the first weekly Thursday, yesterday on
/// its last day and after it, a Thursday whose closed week lies after it).
pub const MIX_EDGE_TIMES: [&str; 7] = [
    "2023-02-27T15:59:59Z",
    "2023-03-03T12:00:00+08:00",
    "2023-03-04T00:00:00+08:00",
    "2023-03-09T12:00:00+08:00",
    "2023-04-05T12:00:00+08:00",
    "2023-04-06T12:00:00+08:00",
    "2023-04-13T12:00:00+08:00",
];

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

/// `local` (RFC 3339), now and then written as the same instant in another
/// offset (UTC, Moscow, New York).
fn written(rng: &mut StdRng, local: &str) -> String {
    if !rng.gen_bool(0.2) {
        return local.to_string();
    }
    let Ok(t) = DateTime::parse_from_rfc3339(local) else {
        return local.to_string();
    };
    let hours = pick_pair(rng, &[0, 3, -5]);
    let Some(offset) = FixedOffset::east_opt(hours * 3600) else {
        return local.to_string();
    };
    let text = t
        .with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    text.replace("+00:00", "Z")
}

/// An instant `minutes` and `seconds` after `t` (RFC 3339), in `t`'s offset.
fn after(t: &str, minutes: i64, seconds: i64) -> String {
    match DateTime::parse_from_rfc3339(t) {
        Ok(t) => (t + Duration::minutes(minutes) + Duration::seconds(seconds))
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        Err(_) => t.to_string(),
    }
}

/// `usual` mostly, now and then another platform (for the policies' filters).
fn platform<'a>(rng: &mut StdRng, usual: &'a str) -> &'a str {
    if !rng.gen_bool(0.05) {
        return usual;
    }
    match usual {
        "kuaishou" => "douyin",
        _ => "kuaishou",
    }
}

/// One of `edges` now and then (with probability `p`), else what `otherwise` makes.
fn edge_or(
    rng: &mut StdRng,
    p: f64,
    edges: &[&str],
    otherwise: impl FnOnce(&mut StdRng) -> String,
) -> String {
    if rng.gen_bool(p) {
        pick(rng, edges).to_string()
    } else {
        otherwise(rng)
    }
}

fn amount(rng: &mut StdRng, low: i64, high: i64) -> String {
    let fen = rng.gen_range(low * 100..=high * 100);
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn shop_reminders(rng: &mut StdRng, i: usize) -> String {
    let mut reminders = Vec::new();
    for _ in 0..rng.gen_range(0..6) {
        let day = rng.gen_range(1..=2);
        let time = edge_or(
            rng,
            0.3,
            &[
                "08:59:59", "09:00:00", "09:59:59", "10:00:00", "18:00:00", "18:00:01", "21:00:00",
                "21:00:01",
            ],
            |rng| {
                format!(
                    "{:02}:{:02}:00",
                    rng.gen_range(7..=22),
                    rng.gen_range(0..60)
                )
            },
        );
        let at = written(rng, &format!("2023-03-0{day}T{time}+08:00"));
        reminders.push(format!(
            r#"{{"user":"u-{}","at":"{at}","source":"{}","trigger":"{}"}}"#,
            rng.gen_range(1..=2),
            pick(rng, &["system", "agent"]),
            pick(rng, &["unordered", "unpaid"])
        ));
    }
    format!(
        r#"{{"kind":"shop_reminders","id":"sr-{i}","platform":"{}","settings":{{"auto":{},"delay_minutes":{},"window_start":"{}","window_end":"{}"}},"reminders":[{}]}}"#,
        platform(rng, "douyin"),
        rng.gen_bool(0.9),
        rng.gen_range(2..=11),
        pick(
            rng,
            &["08:59", "09:00", "09:00", "10:00", "10:00", "18:00", "21:00"]
        ),
        pick(rng, &["10:00", "18:00", "18:00", "21:00", "21:00", "21:01"]),
        reminders.join(",")
    )
}

fn claim(rng: &mut StdRng, i: usize) -> String {
    // The versions change at 2023-02-24T00:00+08:00.
    let order_at = edge_or(
        rng,
        0.2,
        &[
            "2023-02-23T23:59:59+08:00",
            "2023-02-24T00:00:00+08:00",
            "2023-02-23T16:00:00Z",
        ],
        |rng| {
            format!(
                "2023-02-{}T{:02}:00:00+08:00",
                rng.gen_range(20..=27),
                rng.gen_range(0..24)
            )
        },
    );
    format!(
        r#"{{"kind":"claim","id":"c-{i}","platform":"{}","order_at":"{}","price":"{}","finding":"{}"}}"#,
        platform(rng, "douyin"),
        written(rng, &order_at),
        amount(rng, 1, 400),
        pick(rng, &["counterfeit", "genuine", "pending"])
    )
}

fn shipment(rng: &mut StdRng, i: usize) -> String {
    // Douyin waybills are required from 2021-08-01 (local).
    let shipped_at = edge_or(
        rng,
        0.2,
        &[
            "2021-07-31T23:59:59+08:00",
            "2021-08-01T00:00:00+08:00",
            "2021-07-31T16:00:00Z",
        ],
        |rng| {
            format!(
                "2021-0{}-{:02}T10:00:00+08:00",
                rng.gen_range(7..=8),
                rng.gen_range(1..=31)
            )
        },
    );
    format!(
        r#"{{"kind":"shipment","id":"sh-{i}","platform":"{}","order_source":"{}","shipped_at":"{}","waybill":"{}{:09}"}}"#,
        platform(rng, "douyin"),
        pick(
            rng,
            &[
                "douyin_store",
                "douyin_store",
                "taobao_redirect",
                "pinduoduo_redirect"
            ]
        ),
        written(rng, &shipped_at),
        pick(rng, &["553", "773", "155"]),
        rng.gen_range(0..1_000_000_000u32)
    )
}

fn buyer(rng: &mut StdRng, i: usize) -> String {
    let mut reports = Vec::new();
    if rng.gen_bool(0.3) {
        // One shop's ban ending exactly now: its latest report one tier ago.
        let (n, latest) = pick_pair(
            rng,
            &[
                (1, "2023-03-13T12:00:00+08:00"),
                (2, "2023-03-09T12:00:00+08:00"),
                (3, "2023-02-14T12:00:00+08:00"),
                (1, "2023-03-13T12:00:01+08:00"),
                (1, "2023-03-13T11:59:59+08:00"),
            ],
        );
        for k in 0..n {
            let at = after(latest, -24 * 60 * k, 0);
            reports.push(format!(
                r#"{{"shop":"s0","at":"{}","upheld":true}}"#,
                written(rng, &at)
            ));
        }
    }
    for _ in 0..rng.gen_range(0..10) {
        // Mostly this year; some last year, and some on the year's edge in Shanghai.
        let at = edge_or(
            rng,
            0.15,
            &[
                "2022-12-31T23:59:59+08:00",
                "2022-12-31T16:00:00Z",
                "2023-01-01T00:00:00+08:00",
                "2022-06-01T10:00:00+08:00",
            ],
            |rng| march(rng, 1, 16),
        );
        reports.push(format!(
            r#"{{"shop":"s{}","at":"{}","upheld":{}}}"#,
            rng.gen_range(1..=7),
            written(rng, &at),
            rng.gen_bool(0.8)
        ));
    }
    format!(
        r#"{{"kind":"buyer","id":"u-{i}","platform":"{}","reports":[{}]}}"#,
        platform(rng, "kuaishou"),
        reports.join(",")
    )
}

/// One of `pairs`, chosen at random.
fn pick_pair<T: Clone + Default>(rng: &mut StdRng, pairs: &[T]) -> T {
    pairs
        .get(rng.gen_range(0..pairs.len()))
        .cloned()
        .unwrap_or_default()
}

fn violation_case(rng: &mut StdRng, i: usize) -> String {
    // The revised rules apply to requests from 2022-11-19 (local); appeals come before the request.
    let request = edge_or(
        rng,
        0.2,
        &[
            "2022-11-18T23:59:59+08:00",
            "2022-11-19T00:00:00+08:00",
            "2022-11-18T16:00:00Z",
        ],
        |rng| format!("2022-11-{}T10:00:00+08:00", rng.gen_range(17..=22)),
    );
    let appeals: Vec<String> = (0..rng.gen_range(0..4))
        .map(|_| {
            let at = format!(
                "2022-11-{:02}T{:02}:00:00+08:00",
                rng.gen_range(1..=16),
                rng.gen_range(0..24)
            );
            format!(r#"{{"at":"{}"}}"#, written(rng, &at))
        })
        .collect();
    let request = if rng.gen_bool(0.9) {
        format!(r#","appeal_request":{{"at":"{}"}}"#, written(rng, &request))
    } else {
        String::new()
    };
    format!(
        r#"{{"kind":"violation_case","id":"vc-{i}","platform":"{}","merchant":"m","role":"{}","status":"{}","appeals":[{}]{request}}}"#,
        platform(rng, "kuaishou"),
        pick(rng, &["merchant", "delivery_expert", "operator"]),
        pick(rng, &["pending", "pending", "resolved"]),
        appeals.join(","),
    )
}

fn presale_listing(rng: &mut StdRng, i: usize) -> String {
    let after_end = rng.gen_bool(0.5);
    let days: i64 = rng.gen_range(3..=16);
    let hours = pick(rng, &["24", "48", "72", "36"]);
    let presale_end = format!("2023-03-0{}T00:00:00+08:00", rng.gen_range(5..=9));
    let mut orders = Vec::new();
    for k in 0..rng.gen_range(0..4) {
        let ordered = march(rng, 1, 10);
        // Paid within the 15 minutes, on their edge, or later.
        let (minutes, seconds) = pick_pair(
            rng,
            &[
                (0, 30),
                (3, 0),
                (14, 59),
                (15, 0),
                (15, 1),
                (16, 0),
                (40, 0),
            ],
        );
        let paid = if rng.gen_bool(0.8) {
            Some(after(&ordered, minutes, seconds))
        } else {
            None
        };
        // The shipping deadline, and a waybill before, on or after it.
        let deadline = match (&paid, after_end) {
            (Some(p), false) => Some(after(p, days * 24 * 60, 0)),
            (Some(_), true) => hours
                .parse::<i64>()
                .ok()
                .map(|h| after(&presale_end, h * 60, 0)),
            (None, _) => None,
        };
        let waybill = match (rng.gen_range(0..4), &deadline) {
            (0, _) => "null".to_string(),
            (1, Some(d)) => format!(r#""{}""#, written(rng, d)),
            (2, Some(d)) => format!(r#""{}""#, after(d, 0, 1)),
            _ => format!(r#""{}""#, march(rng, 10, 16)),
        };
        let paid = match paid {
            Some(p) => format!(r#""{}""#, written(rng, &p)),
            None => "null".into(),
        };
        orders.push(format!(
            r#"{{"id":"o-{i}-{k}","ordered_at":"{}","paid_at":{paid},"waybill_uploaded_at":{waybill}}}"#,
            written(rng, &ordered)
        ));
    }
    if !after_end && rng.gen_bool(0.2) {
        // An order whose deadline is exactly now, with no waybill yet.
        let paid = after(MIX_AT, -days * 24 * 60, 0);
        orders.push(format!(
            r#"{{"id":"o-{i}-due","ordered_at":"{}","paid_at":"{paid}","waybill_uploaded_at":null}}"#,
            after(&paid, -5, 0)
        ));
    }
    let mode = if after_end {
        format!(
            r#""mode":"ship_after_presale_end","presale_end":"{presale_end}","ship_within_hours":{hours}"#,
        )
    } else {
        format!(r#""mode":"ship_after_payment","ship_within_days":{days}"#)
    };
    // In force for listings created from 2022-11-12 (local).
    let created = edge_or(
        rng,
        0.2,
        &[
            "2022-11-11T23:59:59+08:00",
            "2022-11-12T00:00:00+08:00",
            "2022-11-11T16:00:00Z",
            "2022-10-01T10:00:00+08:00",
        ],
        |rng| march(rng, 1, 5),
    );
    let price = edge_or(rng, 0.15, &["50.00", "49.99", "50"], |rng| {
        amount(rng, 45, 60)
    });
    format!(
        r#"{{"kind":"presale_listing","id":"p-{i}","platform":"{}","created_at":"{}",{mode},"price":"{price}","price_changed":{},"orders":[{}]}}"#,
        platform(rng, "wechat_channels"),
        written(rng, &created),
        rng.gen_bool(0.05),
        orders.join(",")
    )
}

fn video(rng: &mut StdRng, i: usize) -> String {
    let mut days = Vec::new();
    let shape = rng.gen_range(0..16);
    for d in 1..=15 {
        let gmv = match (shape, d) {
            // A week just closed (Thursday 9 to Wednesday 15 March) of exactly
            // 7000 USD, or a cent more, over an empty week before: a large
            // increase, on either side of the threshold.
            (0 | 1, 9 | 10) => Some("3500.00".to_string()),
            (2, 9) => Some("3500.00".to_string()),
            (2, 10) => Some("3500.01".to_string()),
            (0..=2, _) => None,
            // Ties for yesterday's places, and no sales at all yesterday.
            (3..=5, 15) => Some("2400.00".to_string()),
            (6, 15) => Some("0.00".to_string()),
            _ => rng.gen_bool(0.5).then(|| amount(rng, 0, 2500)),
        };
        if let Some(g) = gmv {
            days.push(format!(r#""2023-03-{d:02}":"{g}""#));
        }
    }
    // Sales on the campaign's last day and the day after, for the evaluation
    // times at its end.
    for day in ["2023-04-04", "2023-04-05"] {
        if rng.gen_bool(0.3) {
            days.push(format!(r#""{day}":"{}""#, amount(rng, 1, 2500)));
        }
    }
    // Eligible when posted 2023-02-28..=2023-04-04 (local).
    let posted = edge_or(
        rng,
        0.2,
        &[
            "2023-02-27T23:59:59+08:00",
            "2023-02-28T00:00:00+08:00",
            "2023-02-27T16:00:00Z",
            "2023-04-04T23:59:59+08:00",
            "2023-04-05T00:00:00+08:00",
        ],
        |rng| {
            format!(
                "2023-0{}-{:02}T20:00:00+08:00",
                rng.gen_range(2..=3),
                rng.gen_range(1..=28)
            )
        },
    );
    format!(
        r#"{{"kind":"video","id":"v-{i}","platform":"{}","market":"{}","account":"acc-{}","posted_at":"{}","hashtags":["{}"],"cross_border_product":{},"gmv_by_day":{{{}}}}}"#,
        platform(rng, "tiktok_shop"),
        pick(rng, &["MY", "MY", "MY", "SG"]),
        rng.gen_range(1..=50),
        written(rng, &posted),
        pick(
            rng,
            &["#TikTokShopBazaarRamadan", "tiktokshopbazaarraya", "#other"]
        ),
        rng.gen_bool(0.9),
        days.join(",")
    )
}

fn live_session(rng: &mut StdRng, i: usize) -> String {
    // Forbidden from 2022-12-21 (local).
    let started = edge_or(
        rng,
        0.2,
        &[
            "2022-12-20T23:59:59+08:00",
            "2022-12-21T00:00:00+08:00",
            "2022-12-20T16:00:00Z",
        ],
        |rng| format!("2022-12-{}T20:00:00+08:00", rng.gen_range(18..=31)),
    );
    format!(
        r#"{{"kind":"live_session","id":"ls-{i}","platform":"{}","account":"acc-{}","started_at":"{}","prerecorded":{},"content_owner":"acc-{}","prior_offences":{}}}"#,
        platform(rng, "tiktok_shop"),
        rng.gen_range(1..=3),
        written(rng, &started),
        rng.gen_bool(0.5),
        rng.gen_range(1..=3),
        rng.gen_range(0..=3)
    )
}

fn tiktok_merchant(rng: &mut StdRng, i: usize) -> String {
    let reviews: Vec<String> = (0..rng.gen_range(0..5))
        .map(|_| {
            let at = march(rng, 1, 15);
            format!(
                r#"{{"at":"{}","negative":{},"cause":"{}"}}"#,
                written(rng, &at),
                rng.gen_bool(0.3),
                pick(rng, &["product_safety", "product", "shop", "logistics"])
            )
        })
        .collect();
    let count = if rng.gen_bool(0.1) {
        0
    } else {
        rng.gen_range(0..300)
    };
    format!(
        r#"{{"kind":"merchant","id":"tt-{i}","platform":"tiktok_shop","reviews":[{}],"orders":{{"count":{count},"late_fulfilled":{}}}}}"#,
        reviews.join(","),
        rng.gen_range(0..=count / 10)
    )
}

/// What sellers and buyers write: polite texts, one-word answers, and each
/// kind of prohibited content of both marketplaces' policies.
const CHAT: [&str; 18] = [
    "Спасибо за покупку!",
    "Здравствуйте, заказ отправлен",
    "Спасибо, т.е. всё хорошо. Цена 2.5 тыс.",
    "Да",
    "Нет.",
    " — Хорошо! ",
    "Напишите нам в telegram @shop",
    "Пишите в WhatsApp, там дешевле",
    "Оставьте номер телефона",
    "Пришлите паспорт",
    "Сами вы идиот",
    "Удалите отзыв, или пожалеете",
    "Я найду вас",
    "Дешевле на shop-example.ru",
    "Каталог: https://example.com/sale",
    "Wildberries — обман",
    "вб воруют, не верьте",
    "есть на ozon дешевле",
];

/// Moscow times in March 2023: `day` at `time`.
fn moscow(day: u32, time: &str) -> String {
    format!("2023-03-{day:02}T{time}+03:00")
}

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
                // Answered within 10 days, exactly 10 days later, a second
                // after; unanswered since exactly 10 days before now (the
                // mix's now is 07:00 on 16 March in Moscow), or longer.
                let (asked, answered) = pick_pair(
                    rng,
                    &[
                        (moscow(1, "10:00:00"), Some(moscow(2, "10:00:00"))),
                        (moscow(2, "10:00:00"), Some(moscow(14, "10:00:00"))),
                        (moscow(1, "10:00:00"), Some(moscow(11, "10:00:00"))),
                        (moscow(1, "10:00:00"), Some(moscow(11, "10:00:01"))),
                        (moscow(6, "07:00:00"), None),
                        (moscow(6, "07:00:01"), None),
                        (moscow(3, "10:00:00"), None),
                    ],
                );
                let answered = match answered {
                    Some(at) => format!(
                        r#","answered_at":"{}","answer":"{}""#,
                        written(rng, &at),
                        pick(rng, &CHAT)
                    ),
                    None => String::new(),
                };
                format!(
                    r#"{{"id":"q-{k}","asked_at":"{}"{answered}}}"#,
                    written(rng, &asked)
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
    // Covered from 9.90 CNY for a year: some bought on a leap day (the
    // cover ends on 28 February), one in UTC whose Shanghai date is 29 February.
    let paid_at = edge_or(
        rng,
        0.2,
        &[
            "2024-02-29T10:00:00+08:00",
            "2024-02-29T23:30:00+08:00",
            "2024-02-28T16:00:00Z",
        ],
        |rng| format!("2022-11-11T{:02}:00:00+08:00", rng.gen_range(0..24)),
    );
    let amount = edge_or(rng, 0.2, &["9.90", "9.89", "9.9"], |rng| amount(rng, 9, 11));
    format!(
        r#"{{"kind":"purchase","id":"pu-{i}","platform":"tmall","buyer":"b-{i}","paid_at":"{}","amount":"{amount}"}}"#,
        written(rng, &paid_at),
    )
}

fn pickup_request(rng: &mut StdRng, i: usize) -> String {
    format!(
        r#"{{"kind":"pickup_request","id":"pk-{i}","platform":"{}","pilot_city":{},"slot_end":"{}"}}"#,
        platform(rng, "cainiao"),
        rng.gen_bool(0.5),
        pick(rng, &["18:30", "19:00", "19:01", "21:00", "21:01"])
    )
}

fn delivery_request(rng: &mut StdRng, i: usize) -> String {
    let day = rng.gen_range(10..=19);
    let hour = rng.gen_range(8..=23);
    let end = pick(rng, &["2h", "2h", "3h"]);
    let start = if day == 10 && rng.gen_bool(0.5) {
        // On the request's own instant, or a second before it.
        pick(
            rng,
            &["2022-11-10T10:00:00+08:00", "2022-11-10T09:59:59+08:00"],
        )
        .to_string()
    } else {
        format!("2022-11-{day}T{hour:02}:00:00+08:00")
    };
    let length = if end == "3h" { 180 } else { 120 };
    let slot_end = after(&start, length, 0);
    format!(
        r#"{{"kind":"delivery_request","id":"dr-{i}","platform":"{}","requested_at":"2022-11-10T10:00:00+08:00","slot_start":"{}","slot_end":"{}"}}"#,
        platform(rng, "jd"),
        written(rng, &start),
        written(rng, &slot_end)
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
