//! The per-canister record's extension for watching without control: the access the monitor has,
//! digests of the module hash and controllers it last recorded, and the cycles settings read from
//! the status. A fixed 43-byte area after the watch state; records written before it existed hold
//! zeros there, which read as version 0: nothing recorded yet.

use crate::api::WatchAccess;

/// Bytes of the extension area.
pub const EXTENSION_BYTES: usize = 43;
const VERSION: u8 = 1;
/// Flag: the digests hold a recorded baseline.
const RECORDED: u8 = 1;

/// What the record keeps for watching without control and catching changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WatchExtension {
    /// How the monitor may reach the canister.
    pub access: WatchAccess,
    /// Whether the digests below hold what was recorded (false before the first sample).
    pub recorded: bool,
    /// [`crate::status_reply::identity::Identity::module_digest`] of the recorded module hash.
    pub module_digest: u64,
    /// [`crate::status_reply::identity::Identity::controllers_digest`] of the recorded controllers.
    pub controllers_digest: u64,
    /// `minimum_incoming_canister_call_cycles` at the last sample (saturated to u64).
    pub minimum_incoming_call_cycles: u128,
    /// `reserved_cycles` at the last sample (saturated to u64).
    pub reserved_cycles: u128,
    /// Cycles attached to hook calls in all (saturated to u64).
    pub hook_cycles_total: u128,
}

fn access_code(a: WatchAccess) -> u8 {
    match a {
        WatchAccess::Unknown => 0,
        WatchAccess::Controller => 1,
        WatchAccess::StatusViewer => 2,
        WatchAccess::Lost => 3,
    }
}

fn access_from_code(c: u8) -> WatchAccess {
    match c {
        1 => WatchAccess::Controller,
        2 => WatchAccess::StatusViewer,
        3 => WatchAccess::Lost,
        _ => WatchAccess::Unknown,
    }
}

fn sat64(v: u128) -> [u8; 8] {
    (v.min(u64::MAX as u128) as u64).to_le_bytes()
}

impl WatchExtension {
    /// The area's bytes.
    pub fn encode(&self) -> [u8; EXTENSION_BYTES] {
        let mut out = [0u8; EXTENSION_BYTES];
        out[0] = VERSION;
        out[1] = access_code(self.access);
        out[2] = if self.recorded { RECORDED } else { 0 };
        out[3..11].copy_from_slice(&self.module_digest.to_le_bytes());
        out[11..19].copy_from_slice(&self.controllers_digest.to_le_bytes());
        out[19..27].copy_from_slice(&sat64(self.minimum_incoming_call_cycles));
        out[27..35].copy_from_slice(&sat64(self.reserved_cycles));
        out[35..43].copy_from_slice(&sat64(self.hook_cycles_total));
        out
    }

    /// Reads the area; zeros (a record written before the extension) read as the default.
    pub fn decode(bytes: &[u8]) -> Self {
        if bytes[0] == 0 {
            return Self::default();
        }
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        Self {
            access: access_from_code(bytes[1]),
            recorded: bytes[2] & RECORDED != 0,
            module_digest: u64_at(3),
            controllers_digest: u64_at(11),
            minimum_incoming_call_cycles: u64_at(19).into(),
            reserved_cycles: u64_at(27).into(),
            hook_cycles_total: u64_at(35).into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_round_trips_and_zeros_read_as_nothing_recorded() {
        let e = WatchExtension {
            access: WatchAccess::StatusViewer,
            recorded: true,
            module_digest: u64::MAX,
            controllers_digest: 7,
            minimum_incoming_call_cycles: 1_000,
            reserved_cycles: 2,
            hook_cycles_total: 3,
        };
        assert_eq!(WatchExtension::decode(&e.encode()), e);
        assert_eq!(
            WatchExtension::decode(&[0; EXTENSION_BYTES]),
            WatchExtension::default()
        );
        let big = WatchExtension {
            hook_cycles_total: u128::MAX,
            ..e
        };
        assert_eq!(
            WatchExtension::decode(&big.encode()).hook_cycles_total,
            u64::MAX as u128
        );
    }
}
