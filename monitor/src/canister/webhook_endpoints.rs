//! The webhook endpoints: channels (admins only: their URLs carry tokens), the delivery status
//! (no URL), test messages, dead letters and redrives, and the outcalls' transform.

use super::endpoints::{authorize, authorize_or_trap};
use super::platform::Ic;
use super::{state, timer};
use crate::api::*;
use crate::driver;
use crate::policy::webhooks::outcall;
use candid::Principal;
use ic_cdk::api::time;
use ic_cdk::{query, update};
use ic_management_canister_types::{HttpRequestResult, TransformArgs};

fn refused((caller, reason): (Principal, String)) -> WebhookError {
    WebhookError::NotAuthorized { caller, reason }
}

/// Adds a webhook channel.
#[update]
fn add_webhook(channel: WebhookChannel) -> Result<(), WebhookError> {
    authorize("add_webhook").map_err(refused)?;
    state().borrow_mut().add_webhook(channel)
}

/// Changes the webhook channel of the same name.
#[update]
fn update_webhook(channel: WebhookChannel) -> Result<(), WebhookError> {
    authorize("update_webhook").map_err(refused)?;
    state().borrow_mut().update_webhook(channel)
}

/// Removes a webhook channel with its queued messages and dead letters.
#[update]
fn remove_webhook(name: String) -> Result<(), WebhookError> {
    authorize("remove_webhook").map_err(refused)?;
    state().borrow_mut().remove_webhook(&name, time())
}

/// The webhook channels with their URLs (admins only).
#[query]
fn list_webhooks() -> Result<Vec<WebhookChannel>, WebhookError> {
    authorize("list_webhooks").map_err(refused)?;
    Ok(state().borrow().list_webhooks())
}

/// Each channel's deliveries; never a URL.
#[query]
fn webhook_status() -> Vec<WebhookStatus> {
    authorize_or_trap("webhook_status");
    state().borrow().webhook_status()
}

/// Messages a channel (or every channel) gave up on, oldest first (admins only).
#[query]
fn webhook_dead_letters(channel: Option<String>) -> Result<Vec<WebhookDeadLetter>, WebhookError> {
    authorize("webhook_dead_letters").map_err(refused)?;
    state().borrow().webhook_dead_letters(channel.as_deref())
}

/// Puts a channel's dead letter back in its queue.
#[update]
fn redrive_webhook(channel: String, id: u64) -> Result<u64, WebhookError> {
    authorize("redrive_webhook").map_err(refused)?;
    let r = state().borrow_mut().redrive_webhook(&channel, id, time());
    timer::rearm();
    r
}

/// Sends a channel one test message now; `Ok` when the receiver answered 2xx.
#[update]
async fn test_webhook(channel: String) -> Result<(), WebhookError> {
    authorize("test_webhook").map_err(refused)?;
    driver::webhooks::test_webhook(&state(), &Ic, &channel).await
}

/// The outcalls' transform: the response's status only. Only the system calls it.
#[query]
fn webhook_transform(args: TransformArgs) -> HttpRequestResult {
    authorize_or_trap("webhook_transform");
    outcall::transform(args.response)
}
