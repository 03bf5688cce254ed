//! Turns `RegisterArgs` into a `Registration`, or a typed error naming the offending field.

use crate::api::{
    Config, MemoryThresholds, PollBounds, RegisterArgs, Registration, RegistrationError,
};
use crate::policy::topup::MIN_TOP_UP;
use candid::Principal;

/// Longest accepted label, in bytes.
pub const MAX_LABEL_BYTES: usize = 64;
/// Accepted cycles thresholds.
pub const CYCLES_THRESHOLD_RANGE: (u128, u128) = (1_000_000_000, 100_000_000_000_000_000);
/// Wasm32 heap ceiling (4 GiB).
pub const MAX_HEAP_BYTES: u64 = 4 << 30;
/// Stable memory ceiling accepted for a threshold (1 TiB).
pub const MAX_STABLE_BYTES: u64 = 1 << 40;
/// Longest accepted polling or reminder interval (30 days).
pub const MAX_INTERVAL_SECONDS: u64 = 30 * 24 * 3600;
/// Largest accepted hysteresis margin, percent.
pub const MAX_HYSTERESIS_PERCENT: u8 = 50;
/// What validation needs besides the arguments.
pub struct Context<'a> {
    pub monitor_id: Principal,
    pub config: &'a Config,
    pub now_ns: u64,
    pub self_registered: bool,
}

fn out_of_range(
    field: &str,
    value: impl ToString,
    min: impl ToString,
    max: impl ToString,
) -> RegistrationError {
    RegistrationError::OutOfRange {
        field: field.into(),
        value: value.to_string(),
        min: min.to_string(),
        max: max.to_string(),
    }
}

fn check_range<T: PartialOrd + ToString + Copy>(
    field: &str,
    v: T,
    min: T,
    max: T,
) -> Result<T, RegistrationError> {
    if v < min || v > max {
        Err(out_of_range(field, v, min, max))
    } else {
        Ok(v)
    }
}

/// Checks that `id` names a canister the monitor can watch.
pub fn check_canister_id(id: Principal, monitor_id: Principal) -> Result<(), RegistrationError> {
    let bad = |reason: &str| RegistrationError::InvalidCanisterId {
        field: "canister_id".into(),
        reason: reason.into(),
    };
    if id == Principal::anonymous() {
        return Err(bad("the anonymous principal is not a canister"));
    }
    if id == Principal::management_canister() {
        return Err(bad("the management canister cannot be watched"));
    }
    if id == monitor_id {
        return Err(bad(
            "the monitor does not watch itself; see its /metrics instead",
        ));
    }
    // Canister ids are 10 bytes ending in 0x01; self-authenticating and derived ids are not canisters.
    let bytes = id.as_slice();
    if bytes.len() != 10 || bytes[9] != 0x01 {
        return Err(bad(
            "not a canister id (user and derived principals cannot be watched)",
        ));
    }
    Ok(())
}

fn check_memory(m: &MemoryThresholds) -> Result<(), RegistrationError> {
    if let Some(v) = m.heap_bytes {
        check_range("memory.heap_bytes", v, 1, MAX_HEAP_BYTES)?;
    }
    if let Some(v) = m.stable_bytes {
        check_range("memory.stable_bytes", v, 1, MAX_STABLE_BYTES)?;
    }
    if let Some(v) = m.total_bytes {
        check_range(
            "memory.total_bytes",
            v,
            1,
            MAX_STABLE_BYTES + MAX_HEAP_BYTES,
        )?;
    }
    if let Some(v) = m.heap_percent_of_limit {
        check_range("memory.heap_percent_of_limit", v, 1, 100)?;
    }
    Ok(())
}

fn check_poll(p: PollBounds, floor: u64) -> Result<PollBounds, RegistrationError> {
    check_range(
        "poll.min_interval_seconds",
        p.min_interval_seconds,
        floor,
        MAX_INTERVAL_SECONDS,
    )?;
    check_range(
        "poll.max_interval_seconds",
        p.max_interval_seconds,
        floor,
        MAX_INTERVAL_SECONDS,
    )?;
    if p.min_interval_seconds > p.max_interval_seconds {
        return Err(RegistrationError::IntervalBoundsInverted {
            field: "poll".into(),
            min: p.min_interval_seconds,
            max: p.max_interval_seconds,
        });
    }
    Ok(p)
}

/// Validates `args` completely; on success returns the registration to store.
pub fn validate(args: &RegisterArgs, ctx: &Context) -> Result<Registration, RegistrationError> {
    check_canister_id(args.canister_id, ctx.monitor_id)?;
    if let Some(policy) = &args.backup {
        if ctx.self_registered {
            return Err(RegistrationError::InvalidBackupPolicy {
                field: "backup".into(),
                reason: "a canister registering itself may not set a backup policy; ask an admin"
                    .into(),
            });
        }
        crate::policy::backup_schedule::check_policy(policy).map_err(|e| match e {
            crate::api::OperationError::InvalidArgument { field, reason } => {
                RegistrationError::InvalidBackupPolicy {
                    field: format!("backup.{field}"),
                    reason,
                }
            }
            other => RegistrationError::InvalidBackupPolicy {
                field: "backup".into(),
                reason: other.to_string(),
            },
        })?;
    }
    let label = args.label.clone().unwrap_or_default();
    if label.len() > MAX_LABEL_BYTES {
        return Err(RegistrationError::TooLong {
            field: "label".into(),
            len: label.len() as u64,
            max: MAX_LABEL_BYTES as u64,
        });
    }
    if let Some(t) = args.cycles_threshold {
        check_range(
            "cycles_threshold",
            t,
            CYCLES_THRESHOLD_RANGE.0,
            CYCLES_THRESHOLD_RANGE.1,
        )?;
    }
    let memory = args.memory.unwrap_or_default();
    check_memory(&memory)?;
    if args.cycles_threshold.is_none() && memory.iter().next().is_none() && !args.hooks.on_error {
        return Err(RegistrationError::NothingToWatch {
            field: "cycles_threshold".into(),
        });
    }
    let floor = ctx.config.min_interval_floor_seconds;
    let poll = check_poll(args.poll.unwrap_or(ctx.config.default_poll), floor)?;
    if let Some(r) = args.reminder_interval_seconds {
        check_range(
            "reminder_interval_seconds",
            r,
            floor.max(60),
            MAX_INTERVAL_SECONDS,
        )?;
    }
    let hysteresis_percent = args
        .hysteresis_percent
        .unwrap_or(ctx.config.default_hysteresis_percent);
    check_range(
        "hysteresis_percent",
        hysteresis_percent,
        0,
        MAX_HYSTERESIS_PERCENT,
    )?;
    if let Some(t) = args.top_up {
        if args.cycles_threshold.is_none() {
            return Err(RegistrationError::NothingToWatch {
                field: "top_up (needs cycles_threshold)".into(),
            });
        }
        check_range(
            "top_up.amount",
            t.amount,
            MIN_TOP_UP,
            CYCLES_THRESHOLD_RANGE.1,
        )?;
        check_range(
            "top_up.daily_budget",
            t.daily_budget,
            t.amount,
            CYCLES_THRESHOLD_RANGE.1,
        )?;
    }
    Ok(Registration {
        canister_id: args.canister_id,
        label,
        cycles_threshold: args.cycles_threshold,
        memory,
        hooks: args.hooks,
        poll,
        reminder_interval_seconds: args.reminder_interval_seconds,
        hysteresis_percent,
        top_up: args.top_up,
        self_registered: ctx.self_registered,
        registered_at_ns: ctx.now_ns,
        updated_at_ns: ctx.now_ns,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::api::{BackupMode, BackupPolicy, Hooks, TopUpPolicy};

    pub fn canister(n: u64) -> Principal {
        let mut b = [0u8; 10];
        b[..8].copy_from_slice(&n.to_be_bytes());
        b[8] = 1;
        b[9] = 1;
        Principal::from_slice(&b)
    }

    pub fn args(n: u64) -> RegisterArgs {
        RegisterArgs {
            canister_id: canister(n),
            label: Some(format!("canister-{n}")),
            cycles_threshold: Some(1_000_000_000_000),
            memory: Some(MemoryThresholds {
                heap_bytes: Some(1 << 30),
                ..Default::default()
            }),
            hooks: Hooks {
                on_low_cycles: true,
                on_low_memory: true,
                on_error: true,
            },
            poll: None,
            reminder_interval_seconds: None,
            hysteresis_percent: None,
            top_up: None,
            backup: None,
        }
    }

    fn run(a: &RegisterArgs) -> Result<Registration, RegistrationError> {
        let config = Config::default();
        validate(
            a,
            &Context {
                monitor_id: canister(999),
                config: &config,
                now_ns: 5,
                self_registered: false,
            },
        )
    }

    fn field_of(e: RegistrationError) -> String {
        match e {
            RegistrationError::InvalidCanisterId { field, .. }
            | RegistrationError::OutOfRange { field, .. }
            | RegistrationError::IntervalBoundsInverted { field, .. }
            | RegistrationError::TooLong { field, .. }
            | RegistrationError::NothingToWatch { field }
            | RegistrationError::RegistryFull { field, .. }
            | RegistrationError::InvalidBackupPolicy { field, .. } => field,
            other => panic!("no field in {other:?}"),
        }
    }

    #[test]
    fn a_backup_policy_given_with_a_registration_is_checked_and_refused_to_a_self_registration() {
        let policy = BackupPolicy {
            interval_hours: 24,
            window: None,
            keep: 3,
            mode: BackupMode::Stopped,
            replace_any: false,
        };
        let with = |p: BackupPolicy| RegisterArgs {
            backup: Some(p),
            ..args(1)
        };
        assert!(run(&with(policy)).is_ok());
        let too_many = BackupPolicy { keep: 10, ..policy };
        assert_eq!(field_of(run(&with(too_many)).unwrap_err()), "backup.keep");
        let config = Config::default();
        let own = validate(
            &with(policy),
            &Context {
                monitor_id: canister(999),
                config: &config,
                now_ns: 5,
                self_registered: true,
            },
        );
        assert!(
            matches!(&own, Err(RegistrationError::InvalidBackupPolicy { reason, .. }) if reason.contains("registering itself")),
            "{own:?}"
        );
    }

    #[test]
    fn valid_args_become_a_registration_with_defaults_filled() {
        let r = run(&args(1)).unwrap();
        assert_eq!(r.poll, Config::default().default_poll);
        assert_eq!(r.hysteresis_percent, 10);
        assert_eq!(r.registered_at_ns, 5);
    }

    #[test]
    fn anonymous_management_self_and_user_ids_are_rejected_naming_canister_id() {
        for id in [
            Principal::anonymous(),
            Principal::management_canister(),
            canister(999),
            Principal::self_authenticating([7u8; 32]),
        ] {
            let mut a = args(1);
            a.canister_id = id;
            assert_eq!(field_of(run(&a).unwrap_err()), "canister_id");
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        type Mutation = Box<dyn Fn(&mut RegisterArgs)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("label", Box::new(|a| a.label = Some("x".repeat(65)))),
            (
                "cycles_threshold",
                Box::new(|a| a.cycles_threshold = Some(5)),
            ),
            (
                "memory.heap_bytes",
                Box::new(|a| a.memory.as_mut().unwrap().heap_bytes = Some(5 << 30)),
            ),
            (
                "memory.heap_percent_of_limit",
                Box::new(|a| a.memory.as_mut().unwrap().heap_percent_of_limit = Some(101)),
            ),
            (
                "poll.min_interval_seconds",
                Box::new(|a| {
                    a.poll = Some(PollBounds {
                        min_interval_seconds: 1,
                        max_interval_seconds: 100,
                    })
                }),
            ),
            (
                "poll",
                Box::new(|a| {
                    a.poll = Some(PollBounds {
                        min_interval_seconds: 500,
                        max_interval_seconds: 100,
                    })
                }),
            ),
            (
                "reminder_interval_seconds",
                Box::new(|a| a.reminder_interval_seconds = Some(1)),
            ),
            (
                "hysteresis_percent",
                Box::new(|a| a.hysteresis_percent = Some(90)),
            ),
            (
                "top_up.daily_budget",
                Box::new(|a| {
                    a.top_up = Some(TopUpPolicy {
                        amount: 10_000_000_000,
                        daily_budget: 1_000_000_000,
                    })
                }),
            ),
            (
                "cycles_threshold",
                Box::new(|a| {
                    a.cycles_threshold = None;
                    a.memory = None;
                    a.hooks.on_error = false;
                }),
            ),
        ];
        for (field, mutate) in cases {
            let mut a = args(1);
            mutate(&mut a);
            let err = run(&a).unwrap_err();
            assert!(!err.to_string().is_empty());
            assert_eq!(field_of(err), field);
        }
    }

    #[test]
    fn top_up_without_cycles_threshold_is_refused() {
        let mut a = args(1);
        a.cycles_threshold = None;
        a.top_up = Some(TopUpPolicy {
            amount: MIN_TOP_UP,
            daily_budget: MIN_TOP_UP,
        });
        assert!(field_of(run(&a).unwrap_err()).starts_with("top_up"));
    }
}
