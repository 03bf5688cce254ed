//! Validating changes to the monitor-wide configuration.

use crate::api::{AdminError, Config, ConfigUpdate};
use crate::policy::validation::MAX_INTERVAL_SECONDS;

/// Most calls of one kind in flight at once (the canister queue holds 500 messages).
pub const MAX_CONCURRENCY: u32 = 200;
/// Longest bounded-wait timeout the IC honours.
pub const MAX_CALL_TIMEOUT_SECONDS: u32 = 300;

fn invalid(field: &str, reason: String) -> AdminError {
    AdminError::InvalidConfig {
        field: field.into(),
        reason,
    }
}

fn range<T: PartialOrd + std::fmt::Display + Copy>(
    field: &str,
    v: T,
    min: T,
    max: T,
) -> Result<(), AdminError> {
    if v < min || v > max {
        return Err(invalid(
            field,
            format!("{v} is out of range; use a value in [{min}, {max}]"),
        ));
    }
    Ok(())
}

/// `config` with `update` applied, if the result is valid.
pub fn apply(config: &Config, u: &ConfigUpdate) -> Result<Config, AdminError> {
    let mut c = config.clone();
    macro_rules! set {
        ($($f:ident),*) => { $( if let Some(v) = u.$f.clone() { c.$f = v; } )* };
    }
    set!(
        max_registrations,
        allow_self_registration,
        max_concurrent_status_calls,
        max_concurrent_deliveries,
        call_timeout_seconds,
        min_interval_floor_seconds,
        default_poll,
        poll_fraction_percent,
        default_hysteresis_percent,
        delivery_max_attempts,
        delivery_max_age_seconds,
        backoff_base_seconds,
        backoff_max_seconds,
        event_log_capacity,
        top_up_reserve_cycles
    );
    if let Some(n) = u.max_concurrent_backups {
        c.max_concurrent_backups = Some(n);
    }
    range("max_registrations", c.max_registrations, 1, 100_000)?;
    range(
        "max_concurrent_status_calls",
        c.max_concurrent_status_calls,
        1,
        MAX_CONCURRENCY,
    )?;
    range(
        "max_concurrent_deliveries",
        c.max_concurrent_deliveries,
        1,
        MAX_CONCURRENCY,
    )?;
    range(
        "call_timeout_seconds",
        c.call_timeout_seconds,
        1,
        MAX_CALL_TIMEOUT_SECONDS,
    )?;
    range(
        "min_interval_floor_seconds",
        c.min_interval_floor_seconds,
        1,
        3600,
    )?;
    range(
        "default_poll.min_interval_seconds",
        c.default_poll.min_interval_seconds,
        c.min_interval_floor_seconds,
        MAX_INTERVAL_SECONDS,
    )?;
    range(
        "default_poll.max_interval_seconds",
        c.default_poll.max_interval_seconds,
        c.default_poll.min_interval_seconds,
        MAX_INTERVAL_SECONDS,
    )?;
    range("poll_fraction_percent", c.poll_fraction_percent, 1, 100)?;
    range(
        "default_hysteresis_percent",
        c.default_hysteresis_percent,
        0,
        50,
    )?;
    range("delivery_max_attempts", c.delivery_max_attempts, 1, 1000)?;
    range(
        "delivery_max_age_seconds",
        c.delivery_max_age_seconds,
        60,
        MAX_INTERVAL_SECONDS,
    )?;
    range("backoff_base_seconds", c.backoff_base_seconds, 1, 3600)?;
    range(
        "backoff_max_seconds",
        c.backoff_max_seconds,
        c.backoff_base_seconds,
        86_400,
    )?;
    range("event_log_capacity", c.event_log_capacity, 100, 1_000_000)?;
    range(
        "max_concurrent_backups",
        c.backup_concurrency(),
        1,
        MAX_CONCURRENCY,
    )?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::PollBounds;

    #[test]
    fn the_default_configuration_is_valid() {
        assert_eq!(
            apply(&Config::default(), &ConfigUpdate::default()).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn updates_apply_only_given_fields() {
        let c = apply(
            &Config::default(),
            &ConfigUpdate {
                allow_self_registration: Some(true),
                max_registrations: Some(5),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(c.allow_self_registration);
        assert_eq!(c.max_registrations, 5);
        assert_eq!(
            c.call_timeout_seconds,
            Config::default().call_timeout_seconds
        );
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases = [
            ConfigUpdate {
                max_concurrent_status_calls: Some(600),
                ..Default::default()
            },
            ConfigUpdate {
                call_timeout_seconds: Some(0),
                ..Default::default()
            },
            ConfigUpdate {
                default_poll: Some(PollBounds {
                    min_interval_seconds: 100,
                    max_interval_seconds: 50,
                }),
                ..Default::default()
            },
        ];
        let fields: Vec<String> = cases
            .iter()
            .map(|u| match apply(&Config::default(), u).unwrap_err() {
                AdminError::InvalidConfig { field, .. } => field,
                e => panic!("{e:?}"),
            })
            .collect();
        assert_eq!(
            fields,
            vec![
                "max_concurrent_status_calls",
                "call_timeout_seconds",
                "default_poll.max_interval_seconds"
            ]
        );
    }
}
