//! The monitor's webhook endpoints, typed, on [`MonitorClient`](crate::monitor::MonitorClient).

use crate::client::{candid_methods, Client};
use crate::ic::Ic;
use crate::monitor::Monitor;
use canister_hooks_types::monitor::{
    WebhookChannel, WebhookDeadLetter, WebhookError, WebhookStatus,
};
use pocket_ic::RejectResponse;

impl<I: Ic> Client<'_, I, Monitor> {
    candid_methods! {
        /// `add_webhook`.
        update add_webhook(channel: &WebhookChannel) -> Result<(), WebhookError>;
        /// `update_webhook`.
        update update_webhook(channel: &WebhookChannel) -> Result<(), WebhookError>;
        /// `remove_webhook`.
        update remove_webhook(name: &str) -> Result<(), WebhookError>;
        /// `list_webhooks`: the channels with their URLs (admins only).
        query list_webhooks() -> Result<Vec<WebhookChannel>, WebhookError>;
        /// `webhook_status`: each channel's deliveries, without URLs.
        query webhook_status() -> Vec<WebhookStatus>;
        /// `webhook_dead_letters` of one channel, or of all.
        query webhook_dead_letters(channel: Option<&str>)
            -> Result<Vec<WebhookDeadLetter>, WebhookError>;
        /// `redrive_webhook`.
        update redrive_webhook(channel: &str, id: u64) -> Result<u64, WebhookError>;
    }

    /// Submits `test_webhook` without waiting: its outcall must be answered (for example with
    /// pocket-ic's `mock_canister_http_response`) before [`Self::await_test_webhook`] returns.
    pub fn submit_test_webhook(&self, channel: &str) -> Result<I::MessageId, RejectResponse> {
        let arg = candid::encode_one(channel).expect("a channel name encodes");
        self.ic
            .submit_call(self.id, self.caller, "test_webhook", arg)
    }

    /// The result of a submitted `test_webhook`.
    pub fn await_test_webhook(
        &self,
        message: I::MessageId,
    ) -> Result<Result<(), WebhookError>, RejectResponse> {
        let reply = self.ic.await_call(message)?;
        Ok(candid::decode_one(&reply).expect("test_webhook's reply decodes"))
    }
}
