//! Webhook outcalls over the [`Platform`] seam: a queued message, or `test_webhook`'s one
//! message now. Each attaches the cycles `ic0.cost_http_request` asks for its size.

use super::Platform;
use crate::api::WebhookError;
use crate::monitor::{Monitor, WebhookDelivery};
use crate::policy::webhooks::outcall::{classify, OutcallRequest, MAX_RESPONSE_BYTES};
use crate::state::outbox::Failure;
use ic_stable_structures::Memory;
use std::cell::RefCell;

/// Posts `request` with the cycles its cost asks; the cycles, and the status or why it failed.
async fn post<P: Platform>(platform: &P, request: &OutcallRequest) -> (u128, Result<(), Failure>) {
    let cycles = platform.http_request_cost(request.size(), MAX_RESPONSE_BYTES);
    let result = platform.http_request(request, cycles).await;
    (cycles, classify(result, &request.url))
}

/// Delivers one queued message (its channel already marked in flight by `take_due_webhooks`).
pub async fn deliver_webhook<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    d: WebhookDelivery,
) {
    let (cycles, result) = post(platform, &d.request).await;
    state
        .borrow_mut()
        .on_webhook_result(d.channel, d.id, cycles, result, platform.now_ns());
}

/// Sends channel `name` one test message now; `Ok` when it answered 2xx.
pub async fn test_webhook<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    name: &str,
) -> Result<(), WebhookError> {
    let (channel, request) = state
        .borrow()
        .webhook_test_request(name, platform.now_ns())?;
    let (cycles, result) = post(platform, &request).await;
    state.borrow_mut().on_webhook_test(channel, cycles, &result);
    result.map_err(|f| WebhookError::DeliveryFailed {
        reason: match f {
            Failure::Retryable(r) | Failure::RetryableUpTo(r, _) | Failure::Permanent(r) => r,
        },
    })
}
