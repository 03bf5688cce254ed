//! Forecasts from the latest sample and the estimated rates: seconds until the balance reaches
//! the freezing threshold, and until each memory threshold of the registration is reached.

use crate::api::{Forecast, MemoryForecast, MemoryMetric, Registration};
use crate::policy::estimate::{seconds_until_growth, Estimate};
use crate::status_reply::sample::Sample;

/// The cycles below which the canister freezes: the freezing threshold's cycles, less its
/// `reserved_cycles`, which count towards it.
pub fn freezing_floor(sample: &Sample, reserved_cycles: u128) -> u128 {
    sample.freezing_reserve.saturating_sub(reserved_cycles)
}

/// The forecasts for `reg`'s canister (empty without a sample).
pub fn forecast(
    reg: &Registration,
    sample: Option<&Sample>,
    estimate: &Estimate,
    reserved_cycles: u128,
) -> Forecast {
    let Some(s) = sample else {
        return Forecast::default();
    };
    let memory = reg
        .memory
        .iter()
        .map(|(metric, threshold)| MemoryForecast {
            metric,
            threshold,
            seconds_to_threshold: seconds_to_memory(s, estimate, metric, threshold),
        })
        .collect();
    Forecast {
        seconds_to_freezing: estimate
            .seconds_until_cycles(s.cycles, freezing_floor(s, reserved_cycles)),
        memory,
    }
}

/// Seconds until `metric` reaches `threshold` at the estimated growth.
fn seconds_to_memory(
    s: &Sample,
    e: &Estimate,
    metric: MemoryMetric,
    threshold: u64,
) -> Option<u64> {
    match metric {
        MemoryMetric::Heap => seconds_until_growth(s.heap_bytes, threshold, e.heap_growth),
        MemoryMetric::Stable => seconds_until_growth(s.stable_bytes, threshold, e.stable_growth),
        MemoryMetric::Total => seconds_until_growth(s.total_bytes, threshold, e.total_growth),
        MemoryMetric::HeapPercentOfLimit => (s.wasm_memory_limit > 0).then(|| {
            let bytes = (s.wasm_memory_limit as u128 * u128::from(threshold) / 100) as u64;
            seconds_until_growth(s.heap_bytes, bytes, e.heap_growth)
        })?,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::MemoryThresholds;
    use crate::policy::validation::tests::{args, canister};
    use crate::policy::validation::{validate, Context};
    use crate::status_reply::sample::tests::sample;

    fn reg(memory: MemoryThresholds) -> Registration {
        let mut a = args(1);
        a.memory = Some(memory);
        validate(
            &a,
            &Context {
                monitor_id: canister(999),
                config: &crate::api::Config::default(),
                now_ns: 0,
                self_registered: false,
            },
        )
        .unwrap()
    }

    #[test]
    fn freezing_is_forecast_from_the_burn_counting_reserved_cycles() {
        let mut s = sample(0, 1_000_000, 0);
        s.freezing_reserve = 400_000;
        let e = Estimate {
            cycles_burn: 100.0,
            ..Default::default()
        };
        let r = reg(MemoryThresholds::default());
        // 600,000 above the threshold at 100 per second.
        assert_eq!(
            forecast(&r, Some(&s), &e, 0).seconds_to_freezing,
            Some(6_000)
        );
        // 100,000 reserved cycles count towards the threshold: 700,000 to burn.
        assert_eq!(
            forecast(&r, Some(&s), &e, 100_000).seconds_to_freezing,
            Some(7_000)
        );
        s.cycles = 300_000;
        assert_eq!(forecast(&r, Some(&s), &e, 0).seconds_to_freezing, Some(0));
        let idle = Estimate::default();
        assert_eq!(
            forecast(&r, Some(&s), &idle, 0).seconds_to_freezing,
            Some(0)
        );
        s.cycles = 1_000_000;
        assert_eq!(forecast(&r, Some(&s), &idle, 0).seconds_to_freezing, None);
        assert_eq!(forecast(&r, None, &e, 0), Forecast::default());
    }

    #[test]
    fn each_memory_threshold_is_forecast_at_its_growth() {
        let mut s = sample(0, 0, 1_000);
        s.stable_bytes = 5_000;
        s.wasm_memory_limit = 10_000;
        let e = Estimate {
            heap_growth: 10.0,
            stable_growth: 0.0,
            ..Default::default()
        };
        let r = reg(MemoryThresholds {
            heap_bytes: Some(2_000),
            stable_bytes: Some(4_000),
            total_bytes: None,
            heap_percent_of_limit: Some(50),
        });
        let f = forecast(&r, Some(&s), &e, 0);
        let secs: Vec<_> = f
            .memory
            .iter()
            .map(|m| (m.metric, m.seconds_to_threshold))
            .collect();
        assert_eq!(
            secs,
            [
                (MemoryMetric::Heap, Some(100)),
                (MemoryMetric::Stable, Some(0)),
                (MemoryMetric::HeapPercentOfLimit, Some(400)),
            ]
        );
        s.wasm_memory_limit = 0;
        let f = forecast(&r, Some(&s), &e, 0);
        assert_eq!(f.memory[2].seconds_to_threshold, None);
    }
}
