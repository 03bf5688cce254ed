//! When a canister's scheduled backups run: every `interval_hours`, inside its UTC window, each
//! canister at its own offset into the window so a fleet is not stopped all at once; and what
//! keeping snapshots costs.

use crate::api::{BackupPolicy, OperationError, NS};
use crate::policy::pipeline::plan::MAX_SNAPSHOTS;
use candid::Principal;

const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;
/// A scheduled backup starts at the first timer tick after it is due (the watchdog ticks every
/// ten minutes): due times stay this far before the window's end so the start lands inside it.
pub const START_SLACK_SECONDS: u64 = 15 * 60;
/// Longest interval between backups, hours (four weeks).
pub const MAX_INTERVAL_HOURS: u32 = 24 * 28;
/// Storage fee of a 13-node subnet, cycles per GiB per second (snapshots are charged like memory).
pub const STORAGE_CYCLES_PER_GIB_SECOND: u128 = 127_000;

fn invalid(field: &str, reason: impl Into<String>) -> OperationError {
    OperationError::InvalidArgument {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Checks a policy: interval, window, retention.
pub fn check_policy(p: &BackupPolicy) -> Result<(), OperationError> {
    if !(1..=MAX_INTERVAL_HOURS).contains(&p.interval_hours) {
        return Err(invalid(
            "interval_hours",
            format!(
                "{} is out of range; use 1 to {MAX_INTERVAL_HOURS}",
                p.interval_hours
            ),
        ));
    }
    let keep_max = MAX_SNAPSHOTS - 1;
    if !(1..=keep_max).contains(&usize::from(p.keep)) {
        return Err(invalid(
            "keep",
            format!(
                "{} is out of range; keep 1 to {keep_max} (a canister holds at most {MAX_SNAPSHOTS} \
                 snapshots, one stays free for the upgrade pipeline)",
                p.keep
            ),
        ));
    }
    if let Some(w) = p.window {
        if w.start_hour > 23 || w.end_hour > 23 {
            return Err(invalid(
                "window",
                format!("hours are 0 to 23, not {}-{}", w.start_hour, w.end_hour),
            ));
        }
        if window_seconds(p) <= START_SLACK_SECONDS {
            return Err(invalid(
                "window",
                "the window is empty; give start_hour and end_hour at least an hour apart",
            ));
        }
        if !p.interval_hours.is_multiple_of(24) {
            return Err(invalid(
                "interval_hours",
                format!(
                    "{} is not a whole number of days: with a window, backups run once per \
                     window (24, 48, 168, ...)",
                    p.interval_hours
                ),
            ));
        }
    }
    Ok(())
}

/// Length of the policy's window, seconds (a whole day without one).
fn window_seconds(p: &BackupPolicy) -> u64 {
    p.window.map_or(DAY, |w| {
        u64::from((w.end_hour + 24 - w.start_hour) % 24) * HOUR
    })
}

/// A stable pseudo-random offset of `canister` in `[0, span)` (FNV-1a of its id), so canisters
/// with the same policy are spread over the window.
fn offset_seconds(canister: Principal, span: u64) -> u64 {
    let hash = canister
        .as_slice()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
    hash % span.max(1)
}

/// When the next backup of `canister` is due: after `last_ns` (the last one's time, or none)
/// by the interval, not before `now_ns`; with a window, at the canister's offset into the
/// first window that allows.
pub fn next_at_ns(p: &BackupPolicy, canister: Principal, last_ns: Option<u64>, now_ns: u64) -> u64 {
    let now = now_ns / NS;
    let interval = u64::from(p.interval_hours) * HOUR;
    let Some(w) = p.window else {
        let at = match last_ns {
            Some(last) => last / NS + interval,
            None => now + offset_seconds(canister, interval),
        };
        return at.max(now) * NS;
    };
    let offset = offset_seconds(canister, window_seconds(p) - START_SLACK_SECONDS);
    // A daily backup that ran late in one window still runs in the next: half a day of tolerance.
    let earliest = last_ns.map_or(now, |last| (last / NS + interval).saturating_sub(DAY / 2));
    let from = earliest.max(now);
    let first_day = from / DAY - 1;
    (first_day..)
        .map(|day| day * DAY + u64::from(w.start_hour) * HOUR + offset)
        .find(|slot| *slot >= from)
        .expect("a later day always has a slot")
        * NS
}

/// Whether `now_ns` falls in the policy's window (always, without one).
pub fn in_window(p: &BackupPolicy, now_ns: u64) -> bool {
    let Some(w) = p.window else { return true };
    let hour = (now_ns / NS % DAY / HOUR) as u8;
    if w.start_hour < w.end_hour {
        (w.start_hour..w.end_hour).contains(&hour)
    } else {
        hour >= w.start_hour || hour < w.end_hour
    }
}

/// Cycles per day that storing `bytes` of snapshots costs.
pub fn storage_cycles_per_day(bytes: u64) -> u128 {
    u128::from(bytes) * STORAGE_CYCLES_PER_GIB_SECOND * u128::from(DAY) / (1u128 << 30)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{BackupMode, BackupWindow};

    const DAY_NS: u64 = DAY * NS;
    /// 2026-11-30 00:00 UTC.
    const MIDNIGHT: u64 = 20_787 * DAY_NS;

    fn daily(start_hour: u8, end_hour: u8) -> BackupPolicy {
        BackupPolicy {
            interval_hours: 24,
            window: Some(BackupWindow {
                start_hour,
                end_hour,
            }),
            keep: 7,
            mode: BackupMode::Stopped,
            replace_any: false,
        }
    }

    fn canister(i: u64) -> Principal {
        Principal::from_slice(&i.to_be_bytes())
    }

    fn hour_of(ns: u64) -> f64 {
        (ns % DAY_NS) as f64 / (HOUR * NS) as f64
    }

    #[test]
    fn a_daily_backup_is_due_inside_its_window_each_day() {
        let p = daily(3, 4);
        let c = canister(1);
        let first = next_at_ns(&p, c, None, MIDNIGHT + 10 * HOUR * NS);
        assert_eq!(
            first / DAY_NS,
            MIDNIGHT / DAY_NS + 1,
            "today's window is over: tomorrow"
        );
        let h = hour_of(first);
        assert!((3.0..3.75).contains(&h), "due at {h} h, inside 03:00-03:45");
        assert!(in_window(&p, first) && in_window(&p, first + START_SLACK_SECONDS * NS - 1));
        // Ran at its time (or up to the end of the window late): next one the day after.
        for ran_at in [first, first + 40 * 60 * NS] {
            let next = next_at_ns(&p, c, Some(ran_at), ran_at);
            assert_eq!(next - first, DAY_NS);
        }
        // Before the window on the same day: today.
        let early = next_at_ns(&p, c, None, MIDNIGHT + HOUR * NS);
        assert_eq!(early / DAY_NS, MIDNIGHT / DAY_NS);
    }

    #[test]
    fn a_window_can_wrap_midnight_and_a_weekly_interval_skips_days() {
        let p = daily(23, 2);
        let at = next_at_ns(&p, canister(7), None, MIDNIGHT + 12 * HOUR * NS);
        let h = hour_of(at);
        assert!(!(1.75..23.0).contains(&h), "due at {h} h");
        assert!(in_window(&p, at) && !in_window(&p, MIDNIGHT + 12 * HOUR * NS));
        let weekly = BackupPolicy {
            interval_hours: 168,
            ..daily(3, 5)
        };
        let first = next_at_ns(&weekly, canister(7), None, MIDNIGHT);
        let next = next_at_ns(&weekly, canister(7), Some(first), first);
        assert_eq!((next - first) / DAY_NS, 7);
    }

    #[test]
    fn a_fleet_is_spread_over_the_window() {
        let p = daily(2, 6);
        let mut per_hour = [0u32; 4];
        for i in 0..1_000 {
            let at = next_at_ns(&p, canister(i), None, MIDNIGHT);
            per_hour[(hour_of(at) - 2.0) as usize] += 1;
        }
        // Four hours, 1,000 canisters: each hour holds about a quarter (the last one a little
        // less: starts stop 15 minutes before the end).
        for n in per_hour {
            assert!((180..=300).contains(&n), "{per_hour:?}");
        }
    }

    #[test]
    fn without_a_window_backups_follow_the_interval_from_a_spread_start() {
        let p = BackupPolicy {
            interval_hours: 6,
            window: None,
            keep: 3,
            mode: BackupMode::Running,
            replace_any: false,
        };
        let first = next_at_ns(&p, canister(3), None, MIDNIGHT);
        assert!((MIDNIGHT..MIDNIGHT + 6 * HOUR * NS).contains(&first));
        assert_eq!(
            next_at_ns(&p, canister(3), Some(first), first),
            first + 6 * HOUR * NS
        );
        // Long overdue (the monitor was stopped): due now, not in the past.
        let late = first + 30 * HOUR * NS;
        assert_eq!(next_at_ns(&p, canister(3), Some(first), late), late);
    }

    #[test]
    fn bad_policies_name_the_field() {
        let field = |p: BackupPolicy| match check_policy(&p) {
            Err(OperationError::InvalidArgument { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(check_policy(&daily(3, 4)), Ok(()));
        let bad = [
            (daily(3, 24), "window"),
            (daily(5, 5), "window"),
            (
                BackupPolicy {
                    keep: 10,
                    ..daily(3, 4)
                },
                "keep",
            ),
            (
                BackupPolicy {
                    keep: 0,
                    ..daily(3, 4)
                },
                "keep",
            ),
            (
                BackupPolicy {
                    interval_hours: 12,
                    ..daily(3, 4)
                },
                "interval_hours",
            ),
            (
                BackupPolicy {
                    interval_hours: 0,
                    window: None,
                    ..daily(3, 4)
                },
                "interval_hours",
            ),
        ];
        for (policy, expected) in bad {
            assert_eq!(field(policy), expected);
        }
    }

    #[test]
    fn storage_costs_follow_the_fee_schedule() {
        // 100 MiB for a day: 100/1024 GiB x 127,000 x 86,400 s.
        assert_eq!(storage_cycles_per_day(100 << 20), 1_071_562_500);
    }
}
