//! Calendar words in a policy's zone that need care at daylight-saving changes.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeDelta, TimeZone};
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

#[cfg(test)]
mod tests {
    use super::*;

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
