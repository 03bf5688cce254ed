//! Captured failures: record them in the stable error log and route them to `on_error` — to the
//! monitor's `report_error` when one is configured, else to the canister's own `on_error` endpoint
//! in its own isolated call (so a trapping handler cannot loop).

use candid::Principal;
use ic_cdk::call::{Call, CallFailed};

use crate::events::{endpoint, ErrorEvent, ErrorReport, ErrorSource, EventOrigin};
use crate::runtime::state::with_store;
use crate::types::ErrorRecord;

/// Why an isolated run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// IC reject code (5 = trapped, 4 = rejected), `None` if the call was never made.
    pub reject_code: Option<u32>,
    /// The reject or trap message.
    pub message: String,
}

impl Failure {
    /// Classifies a failed self-call.
    pub fn from_call(e: &CallFailed) -> Self {
        match e {
            CallFailed::CallRejected(r) => Failure {
                reject_code: Some(r.raw_reject_code()),
                message: r.reject_message().to_string(),
            },
            other => Failure {
                reject_code: None,
                message: other.to_string(),
            },
        }
    }
}

/// Records a failure and routes it (must run where calls can be made: a callback or update).
pub(crate) fn capture(source: ErrorSource, failure: &Failure) {
    let record = record(source, failure);
    ic_cdk::futures::spawn(route(record));
}

/// Records a failure without routing it (failures of the routing itself).
pub(crate) fn record(source: ErrorSource, failure: &Failure) -> ErrorRecord {
    ic_cdk::println!(
        "[canister-hooks] {source:?} failed (code {:?}): {}",
        failure.reject_code,
        failure.message
    );
    with_store(|s| {
        s.errors.record(
            source,
            &failure.message,
            failure.reject_code,
            ic_cdk::api::time(),
        )
    })
}

async fn route(record: ErrorRecord) {
    let monitor = with_store(|s| s.config().monitors.first().copied());
    if let Some(monitor) = monitor {
        match report_to_monitor(monitor, &record).await {
            Ok(()) => return,
            Err(message) => {
                self::record(
                    ErrorSource::System(endpoint::REPORT_ERROR.into()),
                    &Failure {
                        reject_code: None,
                        message: format!(
                            "could not report to monitor {monitor}: {message}; ran the local on_error instead"
                        ),
                    },
                );
            }
        }
    }
    let event = ErrorEvent {
        id: with_store(|s| s.next_local_event_id()),
        origin: EventOrigin::SelfRaised,
        source: record.source,
        message: record.message,
        reject_code: record.reject_code,
        time_ns: record.last_at_ns,
        count: record.count,
    };
    let result = Call::bounded_wait(ic_cdk::api::canister_self(), endpoint::ON_ERROR)
        .with_arg(&event)
        .await;
    if let Err(e) = result {
        // Recorded, never routed again: a trapping on_error cannot loop.
        self::record(
            ErrorSource::Hook(endpoint::ON_ERROR.into()),
            &Failure::from_call(&e),
        );
    }
}

async fn report_to_monitor(monitor: Principal, record: &ErrorRecord) -> Result<(), String> {
    let report = ErrorReport {
        source: record.source.clone(),
        message: record.message.clone(),
        reject_code: record.reject_code,
        time_ns: record.last_at_ns,
        count: record.count,
    };
    let response = Call::bounded_wait(monitor, endpoint::REPORT_ERROR)
        .with_arg(&report)
        .await
        .map_err(|e| e.to_string())?;
    let reply: Result<u64, String> = response.candid().map_err(|e| e.to_string())?;
    reply.map(|_| ())
}
