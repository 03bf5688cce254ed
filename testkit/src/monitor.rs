//! The monitor's client: its install argument, each endpoint the tests and the demo call, typed,
//! and paged readers of its `events`, `dead_letters` and registrations.

use crate::client::{candid_methods, read_all_pages, Client};
use crate::ic::Ic;
use candid::Principal;
use pocket_ic::RejectResponse;

pub use canister_hooks_types::monitor::*;

/// Page size of the paged readers.
const PAGE: u32 = 100;

/// The monitor's install and upgrade argument.
pub use canister_hooks_types::monitor::InitArgs as MonitorInit;

/// The install argument (`opt InitArgs`) that sets `config`.
pub fn init_with_config(config: ConfigUpdate) -> Vec<u8> {
    encode_init(Some(MonitorInit {
        config: Some(config),
        admins: None,
        read_settings: None,
    }))
}

/// The encoded install or upgrade argument (`opt InitArgs`).
pub fn encode_init(init: Option<MonitorInit>) -> Vec<u8> {
    candid::encode_one(init).expect("the monitor's init argument encodes")
}

/// Registration of `canister_id` under `label` with every hook, a cycles threshold of
/// `cycles_threshold` and `poll` bounds (the monitor's defaults where `None`), and nothing else.
pub fn register_args(
    canister_id: Principal,
    label: impl Into<String>,
    cycles_threshold: Option<u128>,
    poll: Option<PollBounds>,
) -> RegisterArgs {
    RegisterArgs {
        canister_id,
        label: Some(label.into()),
        cycles_threshold,
        memory: None,
        hooks: Hooks {
            on_low_cycles: true,
            on_low_memory: true,
            on_error: true,
        },
        poll,
        reminder_interval_seconds: None,
        hysteresis_percent: None,
        top_up: None,
        backup: None,
    }
}

/// The monitor canister, for [`Client`].
pub struct Monitor;

/// Calls to a monitor.
pub type MonitorClient<'a, I> = Client<'a, I, Monitor>;

impl<I: Ic> Client<'_, I, Monitor> {
    candid_methods! {
        /// `register`.
        update register(args: RegisterArgs) -> Result<Registration, RegistrationError>;
        /// `expect_change`: announces a change of code or controllers so that it raises no event.
        update expect_change(args: ExpectChangeArgs) -> Result<ExpectedChange, ExpectChangeError>;
        /// `poll_now`.
        update poll_now(canister: Principal) -> Result<(), RegistrationError>;
        /// `redrive_canister`: re-queues every dead letter of `canister`.
        update redrive_canister(canister: Principal) -> Result<u64, RedriveError>;
        /// `start_upgrade`.
        update start_upgrade(args: UpgradeArgs) -> Result<OperationView, OperationError>;
        /// `start_restore`.
        update start_restore(args: RestoreArgs) -> Result<OperationView, OperationError>;
        /// `start_backup`.
        update start_backup(canister: Principal, mode: Option<BackupMode>)
            -> Result<OperationView, OperationError>;
        /// `set_backup_policy`: when the next backup is due.
        update set_backup_policy(canister: Principal, policy: Option<BackupPolicy>)
            -> Result<Option<u64>, OperationError>;
        /// `operation_status`.
        query operation_status(canister: Principal) -> Option<OperationView>;
        /// `operations`.
        query operations(filter: OperationFilter) -> Vec<OperationView>;
        /// `backups`.
        query backups(canister: Principal) -> BackupsView;
        /// `canister_state`.
        query canister_state(canister: Principal) -> Option<CanisterState>;
        /// `stats`.
        query stats() -> Stats;
        /// `set_read_settings`.
        update set_read_settings(update: ReadSettingsUpdate) -> Result<ReadSettings, AdminError>;
        /// `rotate_metrics_token`: the new token.
        update rotate_metrics_token() -> Result<String, AdminError>;
        /// `read_settings`.
        query read_settings() -> ReadSettings;
    }

    /// `upload_chunk`: one chunk of a module into `canister`'s chunk store; its hash.
    pub fn upload_chunk(
        &self,
        canister: Principal,
        chunk: &[u8],
    ) -> Result<Result<Vec<u8>, OperationError>, RejectResponse> {
        let reply: Result<serde_bytes::ByteBuf, OperationError> =
            self.update("upload_chunk", (canister, serde_bytes::Bytes::new(chunk)))?;
        Ok(reply.map(|h| h.into_vec()))
    }

    /// Uploads `wasm` into `canister`'s chunk store in 1 MiB chunks through the monitor; the
    /// module's hash and the chunks' hashes, for [`UpgradeArgs`].
    pub fn upload_module(
        &self,
        canister: Principal,
        wasm: &[u8],
    ) -> Result<(Vec<u8>, Vec<Vec<u8>>), String> {
        let mut chunk_hashes = vec![];
        for chunk in wasm.chunks(1 << 20) {
            let hash = self
                .upload_chunk(canister, chunk)
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            chunk_hashes.push(hash);
        }
        Ok((crate::wasm::sha256(wasm), chunk_hashes))
    }

    /// Every event matching `filter` (its `before_id` and `limit` are the reader's), newest first.
    pub fn events_where(&self, filter: EventFilter) -> Result<Vec<EventRecord>, RejectResponse> {
        read_all_pages(|before_id| {
            let page: EventPage = self.query(
                "events",
                (EventFilter {
                    before_id,
                    limit: Some(PAGE),
                    ..filter.clone()
                },),
            )?;
            Ok((page.events, page.next))
        })
    }

    /// Every event in the monitor's history, newest first, optionally of one canister.
    pub fn events(&self, canister: Option<Principal>) -> Result<Vec<EventRecord>, RejectResponse> {
        self.events_where(EventFilter {
            canister_id: canister,
            ..Default::default()
        })
    }

    /// Every dead letter, oldest first, optionally of one canister.
    pub fn dead_letters(
        &self,
        canister: Option<Principal>,
    ) -> Result<Vec<DeadLetter>, RejectResponse> {
        read_all_pages(|after: Option<u64>| {
            let page: DeadLetterPage = self.query("dead_letters", (canister, after, PAGE))?;
            Ok((page.dead_letters, page.next))
        })
    }

    /// Every registration, in canister id order.
    pub fn registrations(&self) -> Result<Vec<Registration>, RejectResponse> {
        read_all_pages(|after: Option<Principal>| {
            let page: RegistrationPage = self.query("list_registrations", (after, PAGE))?;
            Ok((page.registrations, page.next))
        })
    }

    /// `GET url` through `http_request`, with `Authorization: Bearer <token>` when given.
    pub fn http_get(&self, url: &str, token: Option<&str>) -> Result<HttpResponse, RejectResponse> {
        self.query("http_request", (HttpRequest::get(url, token),))
    }

    /// The text of `GET /metrics`, presenting `token` when given; panics on another status
    /// than 200.
    pub fn metrics_text(&self, token: Option<&str>) -> Result<String, RejectResponse> {
        let response = self.http_get("/metrics", token)?;
        assert_eq!(response.status_code, 200, "GET /metrics");
        Ok(String::from_utf8(response.body.into_vec()).expect("metrics are text"))
    }
}
