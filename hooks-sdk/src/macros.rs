//! [`export_hooks!`]: the one macro a canister invokes to export the hook endpoints, the SDK's
//! queries and admin method, and the timer (and optionally heartbeat) entry points.

/// Exports the SDK's endpoints from a canister, with `$hooks` implementing [`crate::Hooks`].
///
/// Generates (as `#[ic_cdk::update]`/`#[ic_cdk::query]` functions, so `ic_cdk::export_candid!()`
/// placed *after* this macro includes them):
/// - `on_low_cycles`, `on_low_memory`, `on_error` (monitor(s) or the canister itself only, deduped by id),
/// - `hooks_readiness`, `hooks_recent_errors`, `hooks_status` queries (never gated),
/// - `hooks_set_monitors` (controllers only),
/// - `hooks_enter_maintenance`, `hooks_leave_maintenance` (monitor(s), controllers, the canister),
/// - `canister_global_timer` and the internal timer executor (so do not also use ic-cdk-timers);
/// - with `, heartbeat`: `canister_heartbeat` and its executor (see [`crate::set_heartbeat`]).
///
/// The canister crate needs `ic-cdk` and `candid` as dependencies, and must name this crate
/// `canister_hooks` (signatures use absolute paths: `export_candid!` cannot read `$crate`).
#[macro_export]
macro_rules! export_hooks {
    ($hooks:ty) => {
        $crate::export_hooks!(@endpoints $hooks);
    };
    ($hooks:ty, heartbeat) => {
        $crate::export_hooks!(@endpoints $hooks);
        $crate::export_hooks!(@heartbeat);
    };
    (@endpoints $hooks:ty) => {
        /// Hook: the cycle balance is low (monitor or self only; one run per event id).
        #[::ic_cdk::update(guard = "::canister_hooks::guard_hook_caller")]
        async fn on_low_cycles(event: ::canister_hooks::events::LowCyclesEvent) {
            $crate::runtime::hooks::handle_low_cycles::<$hooks>(event).await
        }

        /// Hook: a memory measure is high (monitor or self only; one run per event id).
        #[::ic_cdk::update(guard = "::canister_hooks::guard_hook_caller")]
        async fn on_low_memory(event: ::canister_hooks::events::LowMemoryEvent) {
            $crate::runtime::hooks::handle_low_memory::<$hooks>(event).await
        }

        /// Hook: something failed (monitor or self only; one run per event id).
        #[::ic_cdk::update(guard = "::canister_hooks::guard_hook_caller")]
        async fn on_error(event: ::canister_hooks::events::ErrorEvent) {
            $crate::runtime::hooks::handle_error::<$hooks>(event).await
        }

        /// Post-init progress; never gated: poll it before calling guarded methods.
        #[::ic_cdk::query]
        fn hooks_readiness() -> ::canister_hooks::types::Readiness {
            $crate::runtime::readiness::readiness()
        }

        /// The SDK's error log (captured traps and failures), newest first.
        #[::ic_cdk::query]
        fn hooks_recent_errors() -> ::std::vec::Vec<::canister_hooks::types::ErrorRecord> {
            $crate::runtime::guards::recent_errors()
        }

        /// SDK status: readiness, monitors, counters.
        #[::ic_cdk::query]
        fn hooks_status() -> ::canister_hooks::types::HooksStatus {
            $crate::runtime::guards::status()
        }

        /// Sets the principals allowed to call the hook endpoints (controllers only).
        #[::ic_cdk::update]
        fn hooks_set_monitors(
            monitors: ::std::vec::Vec<::candid::Principal>,
        ) -> ::std::result::Result<(), ::canister_hooks::types::AdminError> {
            $crate::runtime::guards::set_monitors(monitors)
        }

        /// Enters maintenance until `until_ns` (IC time) for `reason`: updates guarded by
        /// `guard_not_in_maintenance` are rejected with both (monitor(s) and controllers only).
        #[::ic_cdk::update]
        fn hooks_enter_maintenance(
            reason: ::std::string::String,
            until_ns: u64,
        ) -> ::std::result::Result<
            ::canister_hooks::types::Maintenance,
            ::canister_hooks::types::MaintenanceError,
        > {
            $crate::runtime::maintenance::enter(reason, until_ns)
        }

        /// Leaves maintenance; returns the maintenance that ended (monitor(s) and controllers only).
        #[::ic_cdk::update]
        fn hooks_leave_maintenance() -> ::std::result::Result<
            ::std::option::Option<::canister_hooks::types::Maintenance>,
            ::canister_hooks::types::MaintenanceError,
        > {
            $crate::runtime::maintenance::leave()
        }

        $crate::export_hooks!(@raw "canister_global_timer", "canister_global_timer_canister_hooks",
            __canister_hooks_global_timer => $crate::runtime::timers::global_timer_entry);
        $crate::export_hooks!(@raw "canister_update <canister-hooks> timer",
            "canister_update_canister_hooks.timer",
            __canister_hooks_timer_executor => $crate::runtime::timers::executor_entry);
    };
    (@heartbeat) => {
        $crate::export_hooks!(@raw "canister_heartbeat", "canister_heartbeat_canister_hooks",
            __canister_hooks_heartbeat => $crate::runtime::heartbeat::heartbeat_entry);
        $crate::export_hooks!(@raw "canister_update <canister-hooks> heartbeat",
            "canister_update_canister_hooks.heartbeat",
            __canister_hooks_heartbeat_executor => $crate::runtime::heartbeat::executor_entry);
    };
    // A raw entry point calling `$entry`: exported as `$wasm_name` in wasm, and under the
    // distinct `$native_name` natively (where the canister's own exports may share a binary).
    (@raw $wasm_name:literal, $native_name:literal, $export:ident => $entry:path) => {
        #[cfg_attr(target_family = "wasm", unsafe(export_name = $wasm_name))]
        #[cfg_attr(not(target_family = "wasm"), unsafe(export_name = $native_name))]
        extern "C" fn $export() {
            $entry()
        }
    };
}
