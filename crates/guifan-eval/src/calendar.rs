//! Calendar words in a policy's zone that need care at daylight-saving changes.

use chrono::{
    DateTime, FixedOffset, Months, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone,
};
use chrono_tz::Tz;

/// The first instant of a local day in `zone`.
///
/// That is local midnight, except on a day whose midnight does not exist
/// (the clocks jump from 00:00 to 01:00, as in America/Sao_Paulo on
/// 2018-11-04): then it is the instant of the jump, which the clock shows as
/// 01:00. Where midnight happens twice (clocks going back over it), the first.
pub fn start_of_day(zone: Tz, day: NaiveDate) -> Option<DateTime<FixedOffset>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    if let Some(t) = zone.from_local_datetime(&midnight).earliest() {
        return Some(t.fixed_offset());
    }
    // In a gap: read midnight with the offset in force before it; that instant
    // is where the gap ends.
    let before = midnight.checked_sub_signed(TimeDelta::hours(12))?;
    let offset = zone.from_local_datetime(&before).earliest()?.offset().fix();
    let instant =
        midnight.checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
    Some(zone.from_utc_datetime(&instant).fixed_offset())
}

/// A date moved by whole months: the same day of the month, or the month's last
/// day where it has no such day (2023-01-31 + 1mo is 2023-02-28; 2024-02-29
/// + 1y is 2025-02-28).
pub fn add_months(day: NaiveDate, months: i64) -> Option<NaiveDate> {
    let n = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    if months >= 0 {
        day.checked_add_months(n)
    } else {
        day.checked_sub_months(n)
    }
}

/// An instant moved by whole months on the local calendar of `zone`: the same
/// local time on the moved local date (see [`add_months`]). A local time that
/// does not exist that day (in a daylight-saving gap) becomes the instant the
/// clocks jump; one that happens twice, the first.
pub fn add_months_at(
    zone: Tz,
    t: DateTime<FixedOffset>,
    months: i64,
) -> Option<DateTime<FixedOffset>> {
    let local = t.with_timezone(&zone).naive_local();
    let moved = NaiveDateTime::new(add_months(local.date(), months)?, local.time());
    local_instant(zone, moved)
}

/// The instant a local date and time stands for in `zone` (the first, or the jump in a gap).
fn local_instant(zone: Tz, local: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
    if let Some(t) = zone.from_local_datetime(&local).earliest() {
        return Some(t.fixed_offset());
    }
    let before = local.checked_sub_signed(TimeDelta::hours(12))?;
    let offset = zone.from_local_datetime(&before).earliest()?.offset().fix();
    let instant =
        local.checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
    Some(zone.from_utc_datetime(&instant).fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_keep_the_day_or_clamp_to_the_month_end() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(add_months(d(2023, 1, 31), 1), Some(d(2023, 2, 28)));
        assert_eq!(add_months(d(2024, 1, 31), 1), Some(d(2024, 2, 29)));
        assert_eq!(add_months(d(2024, 2, 29), 12), Some(d(2025, 2, 28)));
        assert_eq!(add_months(d(2024, 2, 29), 48), Some(d(2028, 2, 29)));
        assert_eq!(add_months(d(2023, 3, 31), -1), Some(d(2023, 2, 28)));
        assert_eq!(add_months(d(2022, 11, 11), 12), Some(d(2023, 11, 11)));
        assert_eq!(add_months(d(2022, 11, 11), i64::MAX), None);
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        // 23:30 on 31 January in Shanghai is still 31 January locally, whatever UTC says.
        let t = DateTime::parse_from_rfc3339("2023-01-31T15:30:00Z").unwrap();
        assert_eq!(
            add_months_at(shanghai, t, 1).unwrap().to_rfc3339(),
            "2023-02-28T23:30:00+08:00"
        );
    }

    #[test]
    fn a_day_without_midnight_starts_when_the_clocks_jump() {
        let zone: Tz = "America/Sao_Paulo".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2018, 11, 4).unwrap();
        let start = start_of_day(zone, day).unwrap();
        assert_eq!(start.to_rfc3339(), "2018-11-04T01:00:00-02:00");
        // The day before starts at an ordinary midnight.
        let before = start_of_day(zone, day.pred_opt().unwrap()).unwrap();
        assert_eq!(before.to_rfc3339(), "2018-11-03T00:00:00-03:00");
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        assert_eq!(
            start_of_day(shanghai, NaiveDate::from_ymd_opt(2023, 3, 1).unwrap())
                .unwrap()
                .to_rfc3339(),
            "2023-03-01T00:00:00+08:00"
        );
    }
}
