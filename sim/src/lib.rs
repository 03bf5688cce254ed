//! ic-sim: an embeddable Internet Computer emulator. [`Sim`] runs canister wasm (with wasmi) on
//! one emulated 13-node application subnet, following the IC interface specification: the `ic0`
//! System API, ingress and inter-canister messages, rounds and time, the management canister,
//! cycles, HTTPS outcalls (answered by the embedder) and fault injection. The engine knows nothing of HTTP; the `ic-sim-server` crate maps the
//! PocketIC REST protocol onto it.

pub mod call_context;
pub mod canister;
pub mod config;
mod convenience;
pub mod cycles;
pub mod data_certificate;
pub mod error;
mod execution;
pub mod faults;
pub mod ids;
pub mod logs;
pub mod management;
pub mod messages;
pub mod outcalls;
mod scheduler;
mod sim;
pub mod system_api;
pub mod wasm;

pub use candid::Principal;
pub use config::{InstructionLimits, SimConfig};
pub use data_certificate::{CertifiedData, DataCertifier};
pub use error::{ErrorCode, RejectCode, SimError, UserError};
pub use ic_management_canister_types as management_types;
pub use ids::MessageId;
pub use outcalls::{OutcallError, OutcallResponse, PendingOutcall};
pub use sim::{Ingress, Sim};
