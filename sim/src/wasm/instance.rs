//! A canister's live wasm instance: its heap, globals and stable memory persist between messages;
//! executions run under a fuel limit and can be rolled back to a snapshot.

use super::instrument::{global_export, MEMORY_EXPORT, START_EXPORT, TABLE_EXPORT};
use super::module_cache::{CanisterModule, ModuleCache, ModuleError};
use super::stable::{StableMemory, WASM_PAGE};
use crate::error::ErrorCode;
use crate::system_api::{HostState, HostTrap, MsgContext};
use candid::Principal;
use std::sync::Arc;
use wasmi::TrapCode;
use wasmi::{Global, Memory, Ref, Store, Table, Val};

/// The wasm-visible state of a canister, as saved for rollback and snapshots.
#[derive(Debug, Clone, Default)]
pub struct ExecState {
    /// The heap's bytes.
    pub heap: Vec<u8>,
    /// Values of the mutable globals, in export order.
    pub globals: Vec<Val>,
    /// Stable memory.
    pub stable: StableMemory,
}

impl ExecState {
    /// Bytes held (heap + stable + globals).
    pub fn size(&self) -> u64 {
        self.heap.len() as u64 + self.stable.size_bytes() + 8 * self.globals.len() as u64
    }
}

/// The result of running one entry point.
#[derive(Debug)]
pub struct Exec {
    /// The context after execution (responses, calls, logs, cycles, ...).
    pub ctx: MsgContext,
    /// `Err` if the execution trapped.
    pub result: Result<(), HostTrap>,
    /// Instructions executed.
    pub instructions: u64,
}

/// What to run.
#[derive(Debug, Clone)]
pub enum EntryPoint {
    /// An exported function by name.
    Export(String),
    /// A function table entry called with an `env` argument (callbacks).
    Table {
        /// Table index.
        index: u32,
        /// The env argument.
        env: u32,
    },
}

/// A canister's instantiated module.
pub struct Instance {
    store: Store<HostState>,
    instance: wasmi::Instance,
    memory: Option<Memory>,
    table: Option<Table>,
    globals: Vec<Global>,
    module: Arc<CanisterModule>,
    canister_id: Principal,
    /// The state saved by [`Instance::checkpoint`]; its buffers are reused between messages.
    scratch: Option<ExecState>,
    /// Whether `scratch` equals the current state.
    shadow_valid: bool,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("canister_id", &self.canister_id)
            .finish()
    }
}

fn trap_of(error: wasmi::Error) -> HostTrap {
    if let Some(t) = error.downcast_ref::<HostTrap>() {
        return t.clone();
    }
    match error.as_trap_code() {
        Some(TrapCode::OutOfFuel) => HostTrap {
            code: ErrorCode::CanisterInstructionLimitExceeded,
            message: "exceeded the instruction limit for single message execution".into(),
        },
        Some(code) => HostTrap {
            code: ErrorCode::CanisterTrapped,
            message: match code {
                TrapCode::UnreachableCodeReached => "unreachable".into(),
                TrapCode::MemoryOutOfBounds => "heap out of bounds".into(),
                TrapCode::TableOutOfBounds => "table out of bounds".into(),
                TrapCode::IntegerDivisionByZero => "integer division by 0".into(),
                TrapCode::IntegerOverflow => "integer overflow".into(),
                TrapCode::StackOverflow => "stack overflow".into(),
                other => other.to_string(),
            },
        },
        None => HostTrap {
            code: ErrorCode::CanisterTrapped,
            message: error.to_string(),
        },
    }
}

impl Instance {
    /// Instantiates `module` with `stable` as its stable memory (the `(start)` function is not run).
    pub fn new(
        cache: &ModuleCache,
        module: Arc<CanisterModule>,
        stable: StableMemory,
        canister_id: Principal,
    ) -> Result<Self, ModuleError> {
        let mut store = Store::new(cache.engine(), HostState::new(stable, canister_id));
        store.limiter(|h| &mut h.limiter);
        let instance = cache
            .linker()
            .instantiate_and_start(&mut store, &module.module)
            .map_err(|e| ModuleError::Invalid(format!("instantiation failed: {e}")))?;
        let memory = instance.get_memory(&store, MEMORY_EXPORT);
        let table = instance.get_table(&store, TABLE_EXPORT);
        let globals = module
            .info
            .mutable_globals
            .iter()
            .map(|&g| {
                instance
                    .get_global(&store, &global_export(g))
                    .expect("instrumentation exports every mutable global")
            })
            .collect();
        store.data_mut().memory = memory;
        Ok(Self {
            store,
            instance,
            memory,
            table,
            globals,
            module,
            canister_id,
            scratch: None,
            shadow_valid: false,
        })
    }

    /// The module this instance runs.
    pub fn module(&self) -> &Arc<CanisterModule> {
        &self.module
    }

    /// Whether the module had a `(start)` function.
    pub fn has_start(&self) -> bool {
        self.module.info.has_start
    }

    /// Export name of the start function.
    pub fn start_entry() -> EntryPoint {
        EntryPoint::Export(START_EXPORT.to_string())
    }

    /// The heap size in bytes.
    pub fn heap_size(&self) -> u64 {
        self.memory.map_or(0, |m| m.data_size(&self.store) as u64)
    }

    /// Bytes of mutable globals.
    pub fn globals_size(&self) -> u64 {
        8 * u64::from(self.module.info.global_count)
    }

    /// The stable memory.
    pub fn stable(&self) -> &StableMemory {
        &self.store.data().stable
    }

    /// Replaces the stable memory.
    pub fn set_stable(&mut self, stable: StableMemory) {
        self.shadow_valid = false;
        self.store.data_mut().stable = stable;
    }

    /// Takes the stable memory out (for an upgrade), leaving it empty.
    pub fn take_stable(&mut self) -> StableMemory {
        self.shadow_valid = false;
        std::mem::take(&mut self.store.data_mut().stable)
    }

    /// Saves the heap, globals and stable memory.
    pub fn save(&self) -> ExecState {
        ExecState {
            heap: self
                .memory
                .map_or_else(Vec::new, |m| m.data(&self.store).to_vec()),
            globals: self.globals.iter().map(|g| g.get(&self.store)).collect(),
            stable: self.store.data().stable.clone(),
        }
    }

    /// Makes sure a copy of the committed state exists for [`Instance::rollback`]. The copy is
    /// kept between messages and refreshed by [`Instance::commit`], so a message costs one heap
    /// copy (commit after an update, restore after a query or trap), and buffers are reused (a
    /// fresh heap-sized allocation per message would page-fault on every write).
    pub fn checkpoint(&mut self) {
        if self.shadow_valid {
            return;
        }
        self.commit();
    }

    /// Records the current state as committed.
    pub fn commit(&mut self) {
        let mut state = self.scratch.take().unwrap_or_default();
        state.heap.clear();
        if let Some(m) = self.memory {
            state.heap.extend_from_slice(m.data(&self.store));
        }
        state.globals.clear();
        state
            .globals
            .extend(self.globals.iter().map(|g| g.get(&self.store)));
        state.stable = self.store.data().stable.clone();
        self.scratch = Some(state);
        self.shadow_valid = true;
    }

    /// Returns to the committed state.
    pub fn rollback(&mut self, cache: &ModuleCache) {
        let state = self.scratch.take().expect("rollback after checkpoint");
        self.restore(cache, &state);
        self.scratch = Some(state);
        self.shadow_valid = true;
    }

    /// Why `state` (of an uploaded snapshot) cannot be restored into this module, if it cannot:
    /// its globals must match the module's mutable globals in number and type, and its heap must
    /// be whole pages between the module's initial and maximum memory size.
    pub fn check_state(&self, state: &ExecState) -> Result<(), String> {
        if state.globals.len() != self.globals.len() {
            return Err(format!(
                "the snapshot has {} globals but the module has {} mutable globals",
                state.globals.len(),
                self.globals.len()
            ));
        }
        for (i, (g, v)) in self.globals.iter().zip(&state.globals).enumerate() {
            let want = g.ty(&self.store).content();
            if v.ty() != want {
                return Err(format!(
                    "global {i} of the snapshot is {:?} but the module's is {want:?}",
                    v.ty()
                ));
            }
        }
        let heap = state.heap.len() as u64;
        let (initial, maximum) = self.memory.map_or((0, 0), |m| {
            let ty = m.ty(&self.store);
            let max_pages = ty.maximum().unwrap_or(65536).min(65536);
            (m.data_size(&self.store) as u64, max_pages * WASM_PAGE)
        });
        if !heap.is_multiple_of(WASM_PAGE) || heap < initial || heap > maximum {
            return Err(format!(
                "the snapshot's wasm memory of {heap} bytes is not whole pages between the module's initial {initial} and maximum {maximum} bytes"
            ));
        }
        Ok(())
    }

    /// Restores a saved state, re-instantiating when the heap size differs (wasm memory cannot
    /// shrink).
    pub fn restore(&mut self, cache: &ModuleCache, state: &ExecState) {
        self.shadow_valid = false;
        let same_size = self.memory.map_or(0, |m| m.data_size(&self.store)) == state.heap.len();
        if !same_size {
            let fresh = Instance::new(
                cache,
                self.module.clone(),
                StableMemory::default(),
                self.canister_id,
            )
            .expect("a module that instantiated once instantiates again");
            *self = fresh;
            if let Some(m) = self.memory {
                let have = m.data_size(&self.store) as u64;
                let want = state.heap.len() as u64;
                if want > have {
                    m.grow(&mut self.store, (want - have) / WASM_PAGE)
                        .expect("growing back to a size the memory had");
                }
            }
        }
        if let Some(m) = self.memory {
            m.data_mut(&mut self.store).copy_from_slice(&state.heap);
        }
        for (g, v) in self.globals.iter().zip(&state.globals) {
            g.set(&mut self.store, v.clone()).expect("same global type");
        }
        self.store.data_mut().stable = state.stable.clone();
    }

    /// Runs `entry` with `ctx`, at most `ctx.instruction_limit` instructions, with the heap
    /// limited to `max_heap` bytes when given. State changes stay; the caller rolls back.
    pub fn run(&mut self, entry: &EntryPoint, ctx: MsgContext, max_heap: Option<u64>) -> Exec {
        let limit = ctx.instruction_limit;
        self.store.data_mut().ctx = ctx;
        self.store.data_mut().limiter = crate::system_api::memory_limiter(max_heap);
        self.store
            .set_fuel(limit)
            .expect("fuel metering is enabled");
        let result = match entry {
            EntryPoint::Export(name) => {
                match self.instance.get_typed_func::<(), ()>(&self.store, name) {
                    Ok(f) => f.call(&mut self.store, ()),
                    Err(e) => Err(e),
                }
            }
            EntryPoint::Table { index, env } => self.call_table(*index, *env),
        };
        let remaining = self.store.get_fuel().unwrap_or(0);
        let ctx = std::mem::replace(
            &mut self.store.data_mut().ctx,
            MsgContext::new(
                crate::system_api::ApiType::Start,
                self.canister_id,
                Principal::anonymous(),
            ),
        );
        Exec {
            ctx,
            result: result.map_err(trap_of),
            instructions: limit.saturating_sub(remaining),
        }
    }

    fn call_table(&mut self, index: u32, env: u32) -> Result<(), wasmi::Error> {
        let table = self.table.ok_or_else(|| {
            crate::system_api::violation("the module has no function table for callbacks")
        })?;
        let func = match table.get(&self.store, u64::from(index)) {
            Some(Ref::Func(f)) => f.val().copied(),
            _ => None,
        };
        let func = func.ok_or_else(|| {
            crate::system_api::violation(format!("callback {index} is not a function in the table"))
        })?;
        func.typed::<i32, ()>(&self.store)?
            .call(&mut self.store, env as i32)
    }
}
