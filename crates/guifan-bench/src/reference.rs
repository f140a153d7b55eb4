//! The hand-written reference: the eleven rules of `douyin.zero_deposit_trial`
//! as a Rust programmer would hard-code them (a serde struct, rust_decimal,
//! plain `if`s, serde_json for the decision records), with the bundled
//! parameters. It is what Guifan's speed is measured against, and the
//! differential test holds Guifan's decisions to it.
//!
//! It writes exactly what `guifan run --rules rules` writes for catalogue-shaped
//! Douyin merchants: the same decision records, in the same order, with the
//! same messages.

use std::borrow::Cow;
use std::io::Write;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone};
use chrono_tz::Asia::Shanghai;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// Money as written in the data: a JSON string or number, read exactly.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Money(pub Decimal);

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: &RawValue = Deserialize::deserialize(d)?;
        let text = raw.get();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        Decimal::from_str_exact(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map(Money)
            .map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for Money {
    /// `1500.00 CNY`: at least two decimals, more only when needed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut amount = self.0.normalize();
        if amount.scale() < 2 {
            amount.rescale(2);
        }
        write!(f, "{amount} CNY")
    }
}

/// A Douyin store's type.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StoreType {
    /// 个人类
    Personal,
    /// 个体类
    Individual,
    /// 企业类
    Enterprise,
}

/// A selling channel.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 货架
    Shelf,
    /// 直播
    Live,
    /// 短视频
    ShortVideo,
}

/// The zero-deposit trial state.
#[derive(Debug, Deserialize)]
pub struct Trial {
    /// In trial
    pub active: bool,
    /// When it ended
    pub ended_at: Option<DateTime<FixedOffset>>,
}

/// Deposit balance and requirement.
#[derive(Debug, Deserialize)]
pub struct Deposit {
    /// Balance
    pub balance: Money,
    /// Required
    pub required: Money,
}

/// Marketing participation.
#[derive(Debug, Deserialize)]
pub struct Marketing<'a> {
    /// Platform campaigns joined
    #[serde(borrow)]
    pub platform_campaigns: Vec<Cow<'a, str>>,
    /// In the affiliate alliance
    pub affiliate_alliance: bool,
    /// Uses platform subsidy
    pub platform_subsidy: bool,
}

/// Paid orders.
#[derive(Debug, Deserialize)]
pub struct PaidOrders {
    /// How many
    pub count: i64,
    /// Their total
    pub total: Money,
}

/// Violations.
#[derive(Debug, Deserialize)]
pub struct Violations {
    /// General violations
    pub general: i64,
    /// Severe violations
    pub severe: i64,
    /// Violating orders
    pub orders: i64,
}

/// A creator deduction.
#[derive(Debug, Deserialize)]
pub struct Deduction {
    /// When
    pub at: DateTime<FixedOffset>,
    /// Points
    pub points: i64,
}

/// A withdrawal or request.
#[derive(Debug, Deserialize)]
pub struct Payment {
    /// When
    pub at: DateTime<FixedOffset>,
    /// How much
    pub amount: Money,
}

/// A received order.
#[derive(Debug, Deserialize)]
pub struct Received<'a> {
    /// Order ID
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// When received
    pub received_at: DateTime<FixedOffset>,
    /// Amount
    pub amount: Money,
}

/// A Douyin merchant as the catalogue shapes it.
#[derive(Debug, Deserialize)]
pub struct Merchant<'a> {
    /// Always `merchant`
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    /// ID
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Platform
    #[serde(borrow)]
    pub platform: Cow<'a, str>,
    /// Currency
    #[serde(borrow)]
    pub currency: Option<Cow<'a, str>>,
    /// Store type
    pub store_type: StoreType,
    /// Trial state, absent outside the programme
    pub trial: Option<Trial>,
    /// Deposit
    pub deposit: Deposit,
    /// Goods funds
    pub goods_balance: Money,
    /// Listings online
    pub listings_online: i64,
    /// Selling channels
    pub selling_channels: Vec<Channel>,
    /// Marketing
    #[serde(borrow)]
    pub marketing: Marketing<'a>,
    /// Paid orders
    pub paid_orders: PaidOrders,
    /// Violations
    pub violations: Violations,
    /// Creator deductions
    pub creator_deductions: Vec<Deduction>,
    /// Past withdrawals
    pub withdrawals: Vec<Payment>,
    /// A pending withdrawal request
    pub withdrawal_request: Option<Payment>,
    /// Received orders
    #[serde(borrow)]
    pub received_orders: Option<Vec<Received<'a>>>,
}

/// One effect of a decision.
#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Reject an action
    Reject {
        /// Which
        action: &'static str,
    },
    /// Top the deposit up
    TopUpDeposit {
        /// By how much
        amount: String,
    },
    /// Deduct goods funds
    DeductGoodsFunds {
        /// How much
        amount: String,
    },
    /// Restrict something
    Restrict {
        /// What
        target: &'static str,
    },
    /// A violation
    Violation {
        /// Its code
        code: &'static str,
    },
    /// End the trial
    EndTrial,
    /// A metric
    Metric {
        /// Its name
        name: &'static str,
        /// Its value
        value: String,
    },
}

/// A rule that fired.
#[derive(Debug, Serialize)]
pub struct Decision {
    /// Rule ID
    pub rule: &'static str,
    /// Effects
    pub effects: Vec<Effect>,
    /// Message
    pub message: String,
}

/// The decision record of one subject.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    /// Subject ID
    pub subject: &'a str,
    /// Its kind
    pub kind: &'a str,
    /// What fired
    pub decisions: Vec<Decision>,
}

const WITHDRAWALS_PER_MONTH: i64 = 1;
const PERSONAL_LISTING_CAP: i64 = 100;
const BUSINESS_LISTING_CAP: i64 = 200;
const PERSONAL_ORDER_CAP: i64 = 100;
const BUSINESS_ORDER_CAP: i64 = 200;
const GENERAL_VIOLATION_LIMIT: i64 = 2;
const SEVERE_VIOLATION_LIMIT: i64 = 1;
const VIOLATION_ORDER_LIMIT: i64 = 11;
const CREATOR_POINTS_LIMIT: i64 = 4;
const CREATOR_WINDOW_DAYS: i64 = 30;
const SETTLEMENT_DAYS: i64 = 21;

/// Fixed facts of a run: the time and the policy's parameters as values.
pub struct Reference {
    now: DateTime<FixedOffset>,
    in_force: bool,
    min_withdrawal: Decimal,
    max_share: Decimal,
    personal_paid_cap: Decimal,
    business_paid_cap: Decimal,
}

fn month_in_shanghai(t: &DateTime<FixedOffset>) -> (i32, u32) {
    let local = t.with_timezone(&Shanghai);
    (local.year(), local.month())
}

impl Reference {
    /// The reference at `now`.
    pub fn new(now: DateTime<FixedOffset>) -> Reference {
        let from = NaiveDate::from_ymd_opt(2023, 2, 28)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|d| Shanghai.from_local_datetime(&d).single());
        Reference {
            now,
            in_force: from.is_some_and(|from| now >= from),
            min_withdrawal: Decimal::new(100, 0),
            max_share: Decimal::new(50, 2),
            personal_paid_cap: Decimal::new(5000, 0),
            business_paid_cap: Decimal::new(10000, 0),
        }
    }

    /// The rules that fire on `m`, in the policy's order.
    pub fn decide(&self, m: &Merchant<'_>) -> Vec<Decision> {
        let mut out = Vec::new();
        let Some(trial) = m.trial.as_ref() else {
            return out;
        };
        if !self.in_force || m.platform != "douyin" {
            return out;
        }
        let personal = m.store_type == StoreType::Personal;
        let listing_cap = if personal {
            PERSONAL_LISTING_CAP
        } else {
            BUSINESS_LISTING_CAP
        };
        let order_cap = if personal {
            PERSONAL_ORDER_CAP
        } else {
            BUSINESS_ORDER_CAP
        };
        let paid_cap = if personal {
            self.personal_paid_cap
        } else {
            self.business_paid_cap
        };
        let same_month = match &m.withdrawal_request {
            Some(r) => {
                let month = month_in_shanghai(&r.at);
                m.withdrawals
                    .iter()
                    .filter(|w| month_in_shanghai(&w.at) == month)
                    .count() as i64
            }
            None => 0,
        };
        let max_withdrawal = m.goods_balance.0 * self.max_share;
        let out_of_range = m
            .withdrawal_request
            .as_ref()
            .is_some_and(|r| r.amount.0 < self.min_withdrawal || r.amount.0 > max_withdrawal);
        let creator_window = chrono::Duration::days(CREATOR_WINDOW_DAYS);
        let creator_points: i64 = m
            .creator_deductions
            .iter()
            .filter(|d| d.at > self.now - creator_window && d.at <= self.now)
            .map(|d| d.points)
            .sum();
        let balance = m.deposit.balance.0;

        if trial.active && m.withdrawal_request.is_some() && same_month >= WITHDRAWALS_PER_MONTH {
            out.push(Decision {
                rule: "douyin.zero_deposit_trial.withdrawal_frequency",
                effects: vec![Effect::Reject {
                    action: "withdrawal",
                }],
                message: format!("本月已提现 {same_month} 次, 每月限 {WITHDRAWALS_PER_MONTH} 次"),
            });
        }
        if trial.active && out_of_range {
            out.push(Decision {
                rule: "douyin.zero_deposit_trial.withdrawal_amount",
                effects: vec![Effect::Reject {
                    action: "withdrawal",
                }],
                message: format!(
                    "提现额须在 {} 与货款余额的 50% ({}) 之间",
                    Money(self.min_withdrawal),
                    Money(max_withdrawal)
                ),
            });
        }
        if let Some(request) = m.withdrawal_request.as_ref() {
            if trial.active
                && same_month < WITHDRAWALS_PER_MONTH
                && !out_of_range
                && balance >= Decimal::ZERO
            {
                out.push(Decision {
                    rule: "douyin.zero_deposit_trial.deposit_top_up",
                    effects: vec![Effect::TopUpDeposit {
                        amount: request.amount.to_string(),
                    }],
                    message: format!("提现 {}, 等额充值保证金", request.amount),
                });
            }
        }
        if trial.active && balance < Decimal::ZERO {
            out.push(Decision {
                rule: "douyin.zero_deposit_trial.negative_deposit",
                effects: vec![
                    Effect::DeductGoodsFunds {
                        amount: Money(-balance).to_string(),
                    },
                    Effect::Restrict {
                        target: "withdrawal",
                    },
                    Effect::Restrict { target: "listing" },
                    Effect::Restrict {
                        target: "transactions",
                    },
                ],
                message: format!(
                    "保证金余额 {}, 以货款抵扣 {}",
                    m.deposit.balance,
                    Money(-balance)
                ),
            });
        }
        if trial.active {
            out.push(Decision {
                rule: "douyin.zero_deposit_trial.marketing_limits",
                effects: vec![
                    Effect::Restrict {
                        target: "platform_campaigns",
                    },
                    Effect::Restrict {
                        target: "affiliate_alliance",
                    },
                    Effect::Restrict {
                        target: "platform_subsidy",
                    },
                ],
                message: "试运营期间不可参加平台营销活动与精选联盟, 不可使用平台补贴".to_string(),
            });
            let mut held = Vec::new();
            if !m.marketing.platform_campaigns.is_empty() {
                held.push("参加平台营销活动");
            }
            if m.marketing.affiliate_alliance {
                held.push("加入精选联盟");
            }
            if m.marketing.platform_subsidy {
                held.push("使用平台补贴");
            }
            if !held.is_empty() {
                out.push(Decision {
                    rule: "douyin.zero_deposit_trial.marketing_breach",
                    effects: vec![Effect::Violation {
                        code: "trial_marketing",
                    }],
                    message: format!("试运营期间{}", held.join("、")),
                });
            }
        }
        if trial.active && m.listings_online > listing_cap {
            out.push(Decision {
                rule: "douyin.zero_deposit_trial.listing_cap",
                effects: vec![
                    Effect::Violation {
                        code: "listing_cap_exceeded",
                    },
                    Effect::Restrict { target: "listing" },
                ],
                message: format!("在线商品 {} 件, 上限 {listing_cap} 件", m.listings_online),
            });
        }
        if trial.active
            && personal
            && m.selling_channels
                .iter()
                .any(|c| matches!(c, Channel::Live | Channel::ShortVideo))
        {
            out.push(Decision {
                rule: "douyin.zero_deposit_trial.shelf_only",
                effects: vec![
                    Effect::Violation {
                        code: "personal_store_shelf_only",
                    },
                    Effect::Restrict {
                        target: "live_selling",
                    },
                ],
                message: "个人类店铺仅支持货架经营, 不可直播或短视频带货".to_string(),
            });
        }
        if trial.active {
            let mut held = Vec::new();
            if balance >= m.deposit.required.0 {
                held.push("保证金足额");
            }
            if m.paid_orders.count > order_cap {
                held.push("支付订单总量超过上限");
            }
            if m.paid_orders.total.0 > paid_cap {
                held.push("支付订单总额超过上限");
            }
            if m.violations.general >= GENERAL_VIOLATION_LIMIT {
                held.push("店铺一般违规达到上限");
            }
            if m.violations.severe >= SEVERE_VIOLATION_LIMIT {
                held.push("店铺严重违规");
            }
            if m.violations.orders >= VIOLATION_ORDER_LIMIT {
                held.push("店铺违规订单达到上限");
            }
            if creator_points >= CREATOR_POINTS_LIMIT {
                held.push("关联达人近30天违规扣分达到上限");
            }
            if !held.is_empty() {
                out.push(Decision {
                    rule: "douyin.zero_deposit_trial.trial_exit",
                    effects: vec![Effect::EndTrial],
                    message: format!("试运营期结束: {}", held.join("、")),
                });
            }
        }
        if !trial.active && trial.ended_at.is_some() && balance < m.deposit.required.0 {
            out.push(Decision {
                rule: "douyin.zero_deposit_trial.post_trial_controls",
                effects: vec![
                    Effect::Restrict { target: "listing" },
                    Effect::Restrict {
                        target: "transactions",
                    },
                ],
                message: format!("保证金 {}, 应缴 {}", m.deposit.balance, m.deposit.required),
            });
        }
        if let Some(received) = m.received_orders.as_ref() {
            if trial.active && !received.is_empty() {
                let window = chrono::Duration::days(SETTLEMENT_DAYS);
                let settling: Decimal = received
                    .iter()
                    .filter(|o| o.received_at > self.now - window && o.received_at <= self.now)
                    .map(|o| o.amount.0)
                    .sum();
                out.push(Decision {
                    rule: "douyin.zero_deposit_trial.settling_funds",
                    effects: vec![Effect::Metric {
                        name: "settling_funds",
                        value: Money(settling).to_string(),
                    }],
                    message: format!("确认收货未满 {SETTLEMENT_DAYS}d 的货款"),
                });
            }
        }
        out
    }
}

/// Decides every JSON line of `input` and writes one decision record per
/// line to `out`; a line that does not parse is reported on `errors` and
/// skipped. Returns how many records were decided.
pub fn run(
    reference: &Reference,
    input: &[u8],
    out: &mut impl Write,
    errors: &mut impl Write,
) -> std::io::Result<usize> {
    let mut decided = 0;
    for (number, line) in input.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Merchant<'_>>(line) {
            Ok(merchant) => {
                let record = Record {
                    subject: &merchant.id,
                    kind: &merchant.kind,
                    decisions: reference.decide(&merchant),
                };
                serde_json::to_writer(&mut *out, &record)?;
                out.write_all(b"\n")?;
                decided += 1;
            }
            Err(e) => writeln!(errors, "line {}: {e}", number + 1)?,
        }
    }
    Ok(decided)
}

/// Parses `2023-04-20T12:00:00+08:00`.
pub fn parse_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::<FixedOffset>::from_str(text).ok()
}
