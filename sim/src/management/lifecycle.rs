//! Creating, installing, uninstalling, starting, stopping and deleting canisters.

use super::{decode, nat_u128, reply, MgmtCall, MgmtResult};
use crate::canister::{Canister, RunStatus, Settings};
use crate::cycles;
use crate::error::{ErrorCode, RejectCode, UserError};
use crate::ids;
use crate::sim::Sim;
use crate::system_api::ApiType;
use crate::wasm::instance::{EntryPoint, Instance};
use crate::wasm::stable::StableMemory;
use candid::Principal;
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInstallMode, CanisterSettings, Change, ChangeDetails, ChangeOrigin,
    CodeDeploymentMode, CodeDeploymentRecord, CreateCanisterArgs, CreationRecord,
    FromCanisterRecord, FromUserRecord, InstallChunkedCodeArgs,
    ProvisionalCreateCanisterWithCyclesArgs, UninstallCodeArgs, WasmMemoryPersistence,
};

/// `install_code`'s argument with the module decoded as a blob (the candid type is the same;
/// decoding `vec nat8` element by element is what made installs slow).
#[derive(candid::CandidType, serde::Deserialize, serde::Serialize)]
pub struct InstallCodeBlobArgs {
    /// Install mode.
    pub mode: CanisterInstallMode,
    /// Target canister.
    pub canister_id: Principal,
    /// The module.
    #[serde(with = "serde_bytes")]
    pub wasm_module: Vec<u8>,
    /// Init / post_upgrade argument.
    #[serde(with = "serde_bytes")]
    pub arg: Vec<u8>,
    /// Caller's canister version.
    pub sender_canister_version: Option<u64>,
}

impl Sim {
    /// The history origin of a change requested by `sender`.
    pub(crate) fn origin(&self, sender: Principal) -> ChangeOrigin {
        match self.canisters.get(&sender) {
            Some(c) => ChangeOrigin::FromCanister(FromCanisterRecord {
                canister_id: sender,
                canister_version: Some(c.version),
            }),
            None => ChangeOrigin::FromUser(FromUserRecord { user_id: sender }),
        }
    }

    pub(crate) fn change(
        &self,
        canister: &Canister,
        sender: Principal,
        details: ChangeDetails,
    ) -> Change {
        Change {
            timestamp_nanos: self.time_ns,
            canister_version: canister.version,
            origin: self.origin(sender),
            details: Some(details),
        }
    }

    /// Appends a change made by `sender` to canister `id`'s history (at its current version).
    pub(crate) fn record_change_of(
        &mut self,
        id: Principal,
        sender: Principal,
        details: ChangeDetails,
    ) {
        let change = self.change(&self.canisters[&id], sender, details);
        self.canisters
            .get_mut(&id)
            .expect("exists")
            .history
            .record(change);
    }

    /// Creates a canister with `cycles`, optional settings and an optional specific id.
    pub(crate) fn new_canister(
        &mut self,
        sender: Principal,
        cycles: u128,
        settings: Option<CanisterSettings>,
        specified_id: Option<Principal>,
    ) -> Result<Principal, UserError> {
        let id = match specified_id {
            Some(id) => {
                if self.canisters.contains_key(&id) {
                    return Err(UserError::new(
                        ErrorCode::CanisterIdAlreadyExists,
                        format!("Canister {id} is already installed"),
                    ));
                }
                id
            }
            None => {
                while self
                    .canisters
                    .contains_key(&ids::canister_id(self.next_canister))
                {
                    self.next_canister += 1;
                }
                let first = ids::first_canister_index();
                if self.next_canister >= first + ids::RANGE_SIZE {
                    return Err(UserError::new(
                        ErrorCode::MaxNumberOfCanistersReached,
                        "ic-sim: the subnet's canister id range is exhausted",
                    ));
                }
                let id = ids::canister_id(self.next_canister);
                self.next_canister += 1;
                id
            }
        };
        let mut canister = Canister::new(id, Settings::with_controllers(vec![sender]), cycles);
        if let Some(s) = settings {
            Self::apply_settings(&mut canister, &s)?;
        }
        let details = ChangeDetails::Creation(CreationRecord {
            controllers: canister.settings.controllers.clone(),
            environment_variables_hash: None,
        });
        let change = self.change(&canister, sender, details);
        canister.history.record(change);
        self.canisters.insert(id, canister);
        Ok(id)
    }

    pub(super) fn provisional_create(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: ProvisionalCreateCanisterWithCyclesArgs =
            decode("provisional_create_canister_with_cycles", call.payload)?;
        let amount = args
            .amount
            .as_ref()
            .map_or(self.config.default_provisional_cycles, nat_u128);
        let id = self.new_canister(call.sender, amount, args.settings, args.specified_id)?;
        reply(&CanisterIdRecord { canister_id: id })
    }

    pub(super) fn create_canister_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: CreateCanisterArgs = decode("create_canister", call.payload)?;
        if call.cycles < cycles::CANISTER_CREATION_FEE {
            return Err(UserError::new(
                ErrorCode::InsufficientCyclesForCreateCanister,
                format!(
                    "Creating a canister requires a fee of {} that is deducted from the canister's initial balance but only {} cycles were received with the create_canister request.",
                    cycles::CANISTER_CREATION_FEE,
                    call.cycles
                ),
            ));
        }
        let balance = call.cycles - cycles::CANISTER_CREATION_FEE;
        let id = self.new_canister(call.sender, balance, args.settings, None)?;
        call.cycles = 0;
        reply(&CanisterIdRecord { canister_id: id })
    }

    pub(super) fn install_code_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: InstallCodeBlobArgs = decode("install_code", call.payload)?;
        self.install(
            call.sender,
            args.canister_id,
            args.mode,
            &args.wasm_module,
            args.arg,
        )?;
        reply(&())
    }

    pub(super) fn install_chunked_code(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: InstallChunkedCodeArgs = decode("install_chunked_code", call.payload)?;
        let store = args.store_canister.unwrap_or(args.target_canister);
        self.controlled(args.target_canister, call.sender)?;
        let store_canister = self.controlled(store, call.sender)?;
        let mut wasm = Vec::new();
        for h in &args.chunk_hashes_list {
            let key: [u8; 32] = h.hash.as_slice().try_into().unwrap_or([0; 32]);
            let chunk = store_canister.chunks.get(&key).ok_or_else(|| {
                UserError::new(
                    ErrorCode::InvalidManagementPayload,
                    format!(
                        "Chunk with hash {} is not in the chunk store of canister {store}",
                        hex::encode(&h.hash)
                    ),
                )
            })?;
            wasm.extend_from_slice(chunk);
        }
        let hash = crate::wasm::module_cache::sha256(&wasm);
        if hash.as_slice() != args.wasm_module_hash.as_slice() {
            return Err(UserError::new(
                ErrorCode::InvalidManagementPayload,
                format!(
                    "The assembled module's hash {} does not match wasm_module_hash {}",
                    hex::encode(hash),
                    hex::encode(&args.wasm_module_hash)
                ),
            ));
        }
        self.install(
            call.sender,
            args.target_canister,
            args.mode,
            &wasm,
            args.arg,
        )?;
        reply(&())
    }

    /// install_code: install, reinstall or upgrade; all-or-nothing.
    pub(crate) fn install(
        &mut self,
        sender: Principal,
        id: Principal,
        mode: CanisterInstallMode,
        wasm: &[u8],
        arg: Vec<u8>,
    ) -> Result<(), UserError> {
        let c = self.controlled(id, sender)?;
        let has_code = c.instance.is_some();
        let (deployment, skip_pre_upgrade) = match &mode {
            CanisterInstallMode::Install => {
                if has_code {
                    return Err(UserError::new(
                        ErrorCode::CanisterNonEmpty,
                        format!("Canister {id} cannot be installed because the canister is not empty. Try installing with mode='reinstall' instead."),
                    ));
                }
                (CodeDeploymentMode::Install, true)
            }
            CanisterInstallMode::Reinstall => (CodeDeploymentMode::Reinstall, true),
            CanisterInstallMode::Upgrade(flags) => {
                if !has_code {
                    return Err(UserError::new(
                        ErrorCode::CanisterWasmModuleNotFound,
                        format!("Canister {id}: there is no module to upgrade; install code first"),
                    ));
                }
                if flags.and_then(|f| f.wasm_memory_persistence)
                    == Some(WasmMemoryPersistence::Keep)
                {
                    return Err(UserError::new(
                        ErrorCode::InvalidManagementPayload,
                        format!("Canister {id}: ic-sim does not support enhanced orthogonal persistence (wasm_memory_persistence = opt variant {{ keep }}); upgrade with `replace` (the default) instead"),
                    ));
                }
                (
                    CodeDeploymentMode::Upgrade,
                    flags.and_then(|f| f.skip_pre_upgrade).unwrap_or(false),
                )
            }
        };
        if c.is_frozen() {
            return Err(UserError::new(
                ErrorCode::CanisterOutOfCycles,
                format!("Canister {id} is out of cycles: top it up before installing code"),
            ));
        }
        let module = self.cache.get_or_compile(wasm).map_err(|e| {
            UserError::new(
                ErrorCode::CanisterInvalidWasm,
                format!("Error from Canister {id}: {e}"),
            )
        })?;
        let upgrade = matches!(deployment, CodeDeploymentMode::Upgrade);

        // Everything needed to undo the installation.
        let c = self.canisters.get_mut(&id).expect("checked");
        let saved = c.instance.as_ref().map(Instance::save);
        let (old_cycles, old_timer, old_certified) =
            (c.cycles, c.global_timer, c.certified_data.clone());

        let fail =
            |sim: &mut Sim, old: Option<Instance>, error: UserError| -> Result<(), UserError> {
                let c = sim.canisters.get_mut(&id).expect("exists");
                c.instance = old;
                if let (Some(inst), Some(state)) = (c.instance.as_mut(), saved.as_ref()) {
                    inst.restore(&sim.cache, state);
                }
                c.global_timer = old_timer;
                c.certified_data = old_certified.clone();
                // Execution fees stay charged; everything else is undone.
                c.cycles = c.cycles.min(old_cycles);
                Err(error)
            };

        if upgrade && !skip_pre_upgrade && module_exports(c, |e| e.pre_upgrade) {
            let ctx = self.base_ctx(&self.canisters[&id], ApiType::PreUpgrade, sender);
            let outcome = self.execute(
                id,
                EntryPoint::Export("canister_pre_upgrade".into()),
                ctx,
                None,
            );
            if let Some(e) = outcome.trap {
                let old = self.canisters.get_mut(&id).expect("exists").instance.take();
                return fail(self, old, e);
            }
        }
        let c = self.canisters.get_mut(&id).expect("exists");
        let mut old = c.instance.take();
        let stable = match (&mut old, upgrade) {
            (Some(inst), true) => inst.stable().clone(),
            _ => StableMemory::default(),
        };
        let instance = match Instance::new(&self.cache, module.clone(), stable, id) {
            Ok(i) => i,
            Err(e) => {
                return fail(
                    self,
                    old,
                    UserError::new(
                        ErrorCode::CanisterInvalidWasm,
                        format!("Error from Canister {id}: {e}"),
                    ),
                );
            }
        };
        let c = self.canisters.get_mut(&id).expect("exists");
        c.instance = Some(instance);
        c.global_timer = 0;
        if !upgrade {
            c.certified_data.clear();
        }
        let mut steps = Vec::new();
        if module.info.has_start {
            steps.push((
                EntryPoint::Export(crate::wasm::instrument::START_EXPORT.into()),
                ApiType::Start,
                Vec::new(),
            ));
        }
        let hook = if upgrade {
            "canister_post_upgrade"
        } else {
            "canister_init"
        };
        let has_hook = if upgrade {
            module.exports.post_upgrade
        } else {
            module.exports.init
        };
        if has_hook {
            steps.push((EntryPoint::Export(hook.into()), ApiType::Init, arg));
        }
        for (entry, api, arg) in steps {
            let mut ctx = self.base_ctx(&self.canisters[&id], api, sender);
            ctx.arg = arg;
            let outcome = self.execute(id, entry, ctx, None);
            if let Some(e) = outcome.trap {
                return fail(self, old, e);
            }
        }
        // Committed. Open call contexts stay (spec, install_code): responses to calls the old
        // code made run their callbacks in the new code.
        let c = self.canisters.get_mut(&id).expect("exists");
        c.version += 1;
        c.wasm = wasm.to_vec();
        crate::execution::update_low_memory_hook(c);
        let details = ChangeDetails::CodeDeployment(CodeDeploymentRecord {
            mode: deployment,
            module_hash: module.hash.to_vec(),
        });
        self.record_change_of(id, sender, details);
        Ok(())
    }

    pub(super) fn uninstall_code_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: UninstallCodeArgs = decode("uninstall_code", call.payload)?;
        self.controlled(args.canister_id, call.sender)?;
        self.uninstall(
            args.canister_id,
            call.sender,
            "Canister has been uninstalled.",
        );
        reply(&())
    }

    /// Removes a canister's code and state; open calls are rejected with `message`.
    pub(crate) fn uninstall(&mut self, id: Principal, sender: Principal, message: &str) {
        let Some(c) = self.canisters.get_mut(&id) else {
            return;
        };
        c.instance = None;
        c.wasm.clear();
        c.certified_data.clear();
        c.global_timer = 0;
        c.code_generation += 1;
        c.version += 1;
        self.record_change_of(id, sender, ChangeDetails::CodeUninstall);
        self.reject_open_contexts(id, message);
    }

    pub(super) fn start_canister_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let id = self.controlled_by_arg("start_canister", call)?.id;
        let c = self.canisters.get_mut(&id).expect("checked");
        if let RunStatus::Stopping(waiters) = std::mem::replace(&mut c.status, RunStatus::Running) {
            for w in waiters {
                let e = UserError::new(
                    ErrorCode::CanisterStoppingCancelled,
                    format!("Canister {id}'s stop request was cancelled by start_canister"),
                );
                self.route(Principal::management_canister(), w, Err(e), 0);
            }
        }
        reply(&())
    }

    pub(super) fn stop_canister_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let id = self.controlled_by_arg("stop_canister", call)?.id;
        let c = self.canisters.get_mut(&id).expect("checked");
        match &mut c.status {
            RunStatus::Stopped => return reply(&()),
            RunStatus::Stopping(waiters) => waiters.push(call.target.clone()),
            RunStatus::Running => c.status = RunStatus::Stopping(vec![call.target.clone()]),
        }
        self.complete_stopping(id);
        Ok(None)
    }

    pub(super) fn delete_canister_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let c = self.controlled_by_arg("delete_canister", call)?;
        let id = c.id;
        if !matches!(c.status, RunStatus::Stopped) {
            return Err(UserError::new(
                ErrorCode::CanisterNotStopped,
                format!("Canister {id} must be stopped before it is deleted."),
            ));
        }
        if call.sender == id {
            return Err(UserError {
                reject_code: RejectCode::CanisterError,
                error_code: ErrorCode::CanisterContractViolation,
                message: format!("Canister {id} cannot delete itself"),
            });
        }
        self.canisters.remove(&id);
        reply(&())
    }
}

fn module_exports(c: &Canister, f: impl Fn(&crate::wasm::module_cache::Exports) -> bool) -> bool {
    c.instance.as_ref().is_some_and(|i| f(&i.module().exports))
}
