//! ic-sim
