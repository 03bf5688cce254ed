//! Numbers in the units people read: T cycles, MiB, seconds and minutes, UTC dates.

/// Cycles as `99.0 T cycles` (or `B`, `M` below a trillion).
pub fn cycles(n: u128) -> String {
    const UNITS: [(u128, &str); 3] = [
        (1_000_000_000_000, "T"),
        (1_000_000_000, "B"),
        (1_000_000, "M"),
    ];
    for (size, unit) in UNITS {
        if n >= size {
            return format!("{:.1} {unit} cycles", n as f64 / size as f64);
        }
    }
    format!("{n} cycles")
}

/// Bytes as `11.5 MiB` (or `GiB`, `KiB`, `B`).
pub fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size {
            return format!("{:.1} {unit}", n as f64 / size as f64);
        }
    }
    format!("{n} B")
}

/// A duration as `45 s`, `12 min 5 s`, `3 h 20 min` or `2 d 4 h`.
pub fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3_600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) if s == 0 => format!("{m} min"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, 0) => format!("{h} h"),
        (0, _, _) => format!("{h} h {m} min"),
        (_, 0, _) => format!("{d} d"),
        _ => format!("{d} d {h} h"),
    }
}

/// IC time (nanoseconds since the Unix epoch) as `2026-11-29 23:40:05 UTC`.
pub fn utc(ns: u64) -> String {
    let secs = ns / crate::NS;
    let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
    let (h, mi, s) = (secs / 3_600 % 24, secs / 60 % 60, secs % 60);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_read_in_trillions() {
        assert_eq!(cycles(98_999_940_355_682), "99.0 T cycles");
        assert_eq!(cycles(2_500_000_000), "2.5 B cycles");
        assert_eq!(cycles(999), "999 cycles");
    }

    #[test]
    fn bytes_read_in_binary_units() {
        assert_eq!(bytes(12_058_624), "11.5 MiB");
        assert_eq!(bytes(8 << 30), "8.0 GiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(10), "10 B");
    }

    #[test]
    fn durations_read_in_the_two_largest_units() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(725), "12 min 5 s");
        assert_eq!(duration(600), "10 min");
        assert_eq!(duration(12_000), "3 h 20 min");
        assert_eq!(duration(7_200), "2 h");
        assert_eq!(duration(187_200), "2 d 4 h");
    }

    #[test]
    fn utc_dates_match_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400 * crate::NS), "2000-02-29 00:00:00 UTC");
        assert_eq!(
            utc(1_795_995_605 * crate::NS + 7),
            "2026-11-29 23:40:05 UTC"
        );
    }
}
