//! The monitor's webhook endpoints, typed, on [`MonitorClient`](crate::monitor::MonitorClient).

use crate::client::Client;
use crate::ic::Ic;
use crate::monitor::Monitor;
use canister_hooks_types::monitor::{
    WebhookChannel, WebhookDeadLetter, WebhookError, WebhookStatus,
};
use pocket_ic::RejectResponse;

impl<I: Ic> Client<'_, I, Monitor> {
    /// `add_webhook`.
    pub fn add_webhook(
        &self,
        channel: &WebhookChannel,
    ) -> Result<Result<(), WebhookError>, RejectResponse> {
        self.update("add_webhook", (channel,))
    }

    /// `update_webhook`.
    pub fn update_webhook(
        &self,
        channel: &WebhookChannel,
    ) -> Result<Result<(), WebhookError>, RejectResponse> {
        self.update("update_webhook", (channel,))
    }

    /// `remove_webhook`.
    pub fn remove_webhook(&self, name: &str) -> Result<Result<(), WebhookError>, RejectResponse> {
        self.update("remove_webhook", (name,))
    }

    /// `list_webhooks`: the channels with their URLs (admins only).
    pub fn list_webhooks(
        &self,
    ) -> Result<Result<Vec<WebhookChannel>, WebhookError>, RejectResponse> {
        self.query("list_webhooks", ())
    }

    /// `webhook_status`: each channel's deliveries, without URLs.
    pub fn webhook_status(&self) -> Result<Vec<WebhookStatus>, RejectResponse> {
        self.query("webhook_status", ())
    }

    /// `webhook_dead_letters` of one channel, or of all.
    pub fn webhook_dead_letters(
        &self,
        channel: Option<&str>,
    ) -> Result<Result<Vec<WebhookDeadLetter>, WebhookError>, RejectResponse> {
        self.query("webhook_dead_letters", (channel,))
    }

    /// `redrive_webhook`.
    pub fn redrive_webhook(
        &self,
        channel: &str,
        id: u64,
    ) -> Result<Result<u64, WebhookError>, RejectResponse> {
        self.update("redrive_webhook", (channel, id))
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
