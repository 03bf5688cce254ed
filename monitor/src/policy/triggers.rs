//! Edge triggers with hysteresis and an optional reminder interval.

/// One trigger's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trigger {
    /// True after firing, until the value recovers past the re-arm margin.
    pub fired: bool,
    /// When it last fired (or reminded), seconds since the epoch; 0 when never.
    pub last_fired_s: u64,
}

/// What a trigger decided for one observation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Firing {
    /// The value just crossed the threshold.
    Crossed,
    /// Still past the threshold, and the reminder interval has elapsed.
    Reminder,
}

/// Where an observed value stands relative to a threshold and its re-arm margin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Past the threshold.
    Crossed,
    /// Between the threshold and the re-arm margin.
    Margin,
    /// Recovered past the margin.
    Recovered,
}

/// Level of a value that must stay above `threshold` (cycles); re-armed at `threshold + pct%`.
pub fn level_low(value: u128, threshold: u128, hysteresis_percent: u8) -> Level {
    let rearm = threshold.saturating_add(threshold / 100 * hysteresis_percent as u128);
    if value < threshold {
        Level::Crossed
    } else if value < rearm {
        Level::Margin
    } else {
        Level::Recovered
    }
}

/// Level of a value that must stay below `threshold` (memory); re-armed at `threshold - pct%`.
pub fn level_high(value: u64, threshold: u64, hysteresis_percent: u8) -> Level {
    let rearm =
        threshold.saturating_sub((threshold as u128 * hysteresis_percent as u128 / 100) as u64);
    if value >= threshold {
        Level::Crossed
    } else if value > rearm {
        Level::Margin
    } else {
        Level::Recovered
    }
}

/// Level of a yes/no fault condition (no margin).
pub fn level_flag(faulty: bool) -> Level {
    if faulty {
        Level::Crossed
    } else {
        Level::Recovered
    }
}

impl Trigger {
    /// Advances the trigger with one observation at `now_s`.
    pub fn observe(&mut self, level: Level, now_s: u64, reminder_s: Option<u64>) -> Option<Firing> {
        match (self.fired, level) {
            (false, Level::Crossed) => {
                self.fired = true;
                self.last_fired_s = now_s;
                Some(Firing::Crossed)
            }
            (true, Level::Recovered) => {
                self.fired = false;
                None
            }
            (true, Level::Crossed) => match reminder_s {
                Some(r) if now_s.saturating_sub(self.last_fired_s) >= r => {
                    self.last_fired_s = now_s;
                    Some(Firing::Reminder)
                }
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_once_on_crossing_then_stays_quiet() {
        let mut t = Trigger::default();
        assert_eq!(
            t.observe(level_low(90, 100, 10), 1, None),
            Some(Firing::Crossed)
        );
        assert_eq!(t.observe(level_low(80, 100, 10), 2, None), None);
        assert_eq!(t.observe(level_low(70, 100, 10), 3, None), None);
    }

    #[test]
    fn a_value_hovering_at_the_threshold_does_not_storm() {
        let mut t = Trigger::default();
        let mut fired = 0;
        for (i, v) in [99u128, 101, 99, 105, 98, 109, 99].iter().enumerate() {
            if t.observe(level_low(*v, 100, 10), i as u64, None).is_some() {
                fired += 1;
            }
        }
        assert_eq!(fired, 1, "re-arming needs recovery past 110");
    }

    #[test]
    fn re_arms_after_recovering_past_the_margin() {
        let mut t = Trigger::default();
        t.observe(level_low(90, 100, 10), 1, None);
        assert_eq!(t.observe(level_low(110, 100, 10), 2, None), None);
        assert!(!t.fired);
        assert_eq!(
            t.observe(level_low(90, 100, 10), 3, None),
            Some(Firing::Crossed)
        );
    }

    #[test]
    fn reminds_at_the_interval_while_still_low() {
        let mut t = Trigger::default();
        assert_eq!(
            t.observe(Level::Crossed, 100, Some(60)),
            Some(Firing::Crossed)
        );
        assert_eq!(t.observe(Level::Crossed, 150, Some(60)), None);
        assert_eq!(
            t.observe(Level::Crossed, 160, Some(60)),
            Some(Firing::Reminder)
        );
        assert_eq!(
            t.observe(Level::Margin, 230, Some(60)),
            None,
            "no reminder once above the threshold"
        );
    }

    #[test]
    fn memory_levels_use_a_margin_below_the_threshold() {
        assert_eq!(level_high(100, 100, 10), Level::Crossed);
        assert_eq!(level_high(95, 100, 10), Level::Margin);
        assert_eq!(level_high(90, 100, 10), Level::Recovered);
        assert_eq!(level_flag(true), Level::Crossed);
        assert_eq!(level_flag(false), Level::Recovered);
    }
}
