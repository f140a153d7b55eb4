//! `version_gap`: a time between two versions of a rule when none is in force.

use chrono::{DateTime, FixedOffset, TimeZone};
use guifan_syntax::ast::*;

use crate::Lint;

/// A version with its start and end as instants.
type Bounded<'v> = (
    Option<DateTime<FixedOffset>>,
    Option<DateTime<FixedOffset>>,
    &'v VersionDecl,
);

/// A window bound as an instant: a date is its midnight in the policy's zone.
fn instant(t: &TimePoint, zone: Option<chrono_tz::Tz>) -> Option<DateTime<FixedOffset>> {
    match t {
        TimePoint::Timestamp(ts) => Some(*ts),
        TimePoint::Date(d) => {
            let zone = zone?;
            let midnight = d.and_hms_opt(0, 0, 0)?;
            zone.from_local_datetime(&midnight)
                .earliest()
                .map(|t| t.fixed_offset())
        }
    }
}

/// Reports, for each rule with versions, each gap between one version's end
/// and the next one's start.
pub(crate) fn gaps(lint: &mut Lint<'_>, policy: &PolicyDecl) {
    let zone = policy
        .zone
        .as_ref()
        .and_then(|z| z.node.parse::<chrono_tz::Tz>().ok());
    for rule in &policy.rules {
        let RuleBody::Versions(versions) = &rule.body else {
            continue;
        };
        let mut spans: Vec<Bounded<'_>> = versions
            .iter()
            .map(|v| {
                let from = v.window.from.as_ref().and_then(|f| instant(f, zone));
                let until = v.window.until.as_ref().and_then(|u| instant(u, zone));
                (from, until, v)
            })
            .collect();
        spans.sort_by_key(|(from, _, _)| *from);
        for pair in spans.windows(2) {
            let [(_, Some(end), before), (Some(start), _, after)] = pair else {
                continue;
            };
            if start > end {
                lint.warn(
                    "guifan::lint::version_gap",
                    format!(
                        "no version of rule `{}` is in force from {} until {}",
                        rule.name.name,
                        end.format("%Y-%m-%d %H:%M %:z"),
                        start.format("%Y-%m-%d %H:%M %:z")
                    ),
                    after.span,
                    &format!("starts after `{}` ends", before.label.node),
                    format!(
                        "start `{}` where `{}` ends, or say why the rule is not in force between them",
                        after.label.node, before.label.node
                    ),
                );
            }
        }
    }
}
