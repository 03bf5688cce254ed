//! The `ic0` System API: the state a message execution sees (`HostState`), trap values, memory
//! helpers, and the linker that provides every function (declared once each with `ic0!`, split by
//! area into sub-modules).

pub mod availability;
#[macro_use]
mod declare;
mod call;
mod env;
mod msg;
mod stable;

pub use availability::{ApiType, Contexts, Ic0Function};

use crate::call_context::CallbackFunctions;
use crate::error::ErrorCode;
use crate::wasm::stable::StableMemory;
use candid::Principal;
use std::ops::Range;
use wasmi::{Caller, Engine, Error, Linker, Memory};

/// A trap raised by a System API function (or mapped from a wasm trap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostTrap {
    /// The IC error code the trap reports.
    pub code: ErrorCode,
    /// What went wrong, without the "Canister X trapped" prefix.
    pub message: String,
}

impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl wasmi::errors::HostError for HostTrap {}

/// A wasmi error carrying a [`HostTrap`].
pub fn trap(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::host(HostTrap {
        code,
        message: message.into(),
    })
}

/// A contract violation trap (a System API misuse).
pub fn violation(message: impl Into<String>) -> Error {
    trap(
        ErrorCode::CanisterContractViolation,
        format!("violated contract: {}", message.into()),
    )
}

/// How a message execution answers its call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `msg_reply` with the assembled data.
    Reply(Vec<u8>),
    /// `msg_reject` with a message.
    Reject(String),
}

/// A call assembled by `call_new` .. `call_perform`.
#[derive(Debug, Clone)]
pub struct OutgoingCall {
    /// The callee.
    pub callee: Principal,
    /// The method.
    pub method: String,
    /// The argument.
    pub payload: Vec<u8>,
    /// Attached cycles.
    pub cycles: u128,
    /// The functions to run on the response.
    pub functions: CallbackFunctions,
    /// Bounded-wait timeout in seconds (already capped), `None` for unbounded wait.
    pub timeout_seconds: Option<u32>,
    /// Cycles taken from the balance for the call fee and response reservation.
    pub fees_reserved: u128,
}

/// Everything one message execution reads and produces.
#[derive(Debug, Clone)]
pub struct MsgContext {
    /// Kind of execution.
    pub api: ApiType,
    /// The executing canister.
    pub canister_id: Principal,
    /// The subnet.
    pub subnet_id: Principal,
    /// `msg_caller`.
    pub caller: Principal,
    /// `msg_arg_data`.
    pub arg: Vec<u8>,
    /// `msg_method_name` (inspect_message).
    pub method_name: String,
    /// Reject code (0 for a reply) and message, in callbacks.
    pub reject: Option<(u32, String)>,
    /// Cycles still available in the call context.
    pub cycles_available: u128,
    /// Cycles accepted by this execution.
    pub cycles_accepted: u128,
    /// Cycles refunded with the response being handled.
    pub cycles_refunded: u128,
    /// `msg_deadline`.
    pub deadline: u64,
    /// The canister's balance, updated as the execution spends and accepts.
    pub balance: u128,
    /// Cycles that must remain (freezing reserve).
    pub freezing_reserve: u128,
    /// `time`.
    pub time: u64,
    /// The canister's controllers.
    pub controllers: Vec<Principal>,
    /// `canister_status`: 1 running, 2 stopping, 3 stopped.
    pub status: u32,
    /// `canister_version`.
    pub version: u64,
    /// Whether the call context still expects a response.
    pub needs_response: bool,
    /// Data appended with `msg_reply_data_append`.
    pub reply_buf: Vec<u8>,
    /// The response given in this execution.
    pub response: Option<Response>,
    /// The call being assembled.
    pub pending: Option<OutgoingCall>,
    /// Calls performed.
    pub calls: Vec<OutgoingCall>,
    /// `certified_data_set`.
    pub certified_data: Option<Vec<u8>>,
    /// The global timer (0 = unset).
    pub global_timer: u64,
    /// `debug_print` output.
    pub logs: Vec<Vec<u8>>,
    /// `accept_message` was called.
    pub accepted: bool,
    /// Instructions of earlier executions in the same call context.
    pub call_context_instructions: u64,
    /// The instruction limit of this execution.
    pub instruction_limit: u64,
    /// Cycles burned with `cycles_burn128`.
    pub cycles_burned: u128,
    /// The root key.
    pub root_key: Vec<u8>,
    /// Environment variables.
    pub env_vars: Vec<(String, String)>,
    /// The data certificate, in a query call's execution on its target canister.
    pub data_certificate: Option<crate::data_certificate::DataCertificate>,
}

impl MsgContext {
    /// A context for `api` in `canister_id` with neutral values.
    pub fn new(api: ApiType, canister_id: Principal, caller: Principal) -> Self {
        Self {
            api,
            canister_id,
            subnet_id: crate::ids::subnet_id(),
            caller,
            arg: Vec::new(),
            method_name: String::new(),
            reject: None,
            cycles_available: 0,
            cycles_accepted: 0,
            cycles_refunded: 0,
            deadline: 0,
            balance: 0,
            freezing_reserve: 0,
            time: 0,
            controllers: Vec::new(),
            status: 1,
            version: 0,
            needs_response: false,
            reply_buf: Vec::new(),
            response: None,
            pending: None,
            calls: Vec::new(),
            certified_data: None,
            global_timer: 0,
            logs: Vec::new(),
            accepted: false,
            call_context_instructions: 0,
            instruction_limit: u64::MAX,
            cycles_burned: 0,
            root_key: Vec::new(),
            env_vars: Vec::new(),
            data_certificate: None,
        }
    }

    /// Balance that may be spent without dipping into the freezing reserve.
    pub fn liquid_balance(&self) -> u128 {
        self.balance.saturating_sub(self.freezing_reserve)
    }
}

/// Enforces `wasm_memory_limit` on `memory.grow` (growth beyond it fails with -1).
pub fn memory_limiter(max_bytes: Option<u64>) -> wasmi::StoreLimits {
    let mut b = wasmi::StoreLimitsBuilder::new();
    if let Some(max) = max_bytes {
        b = b.memory_size(usize::try_from(max).unwrap_or(usize::MAX));
    }
    b.build()
}

/// The wasmi store data of a canister instance.
#[derive(Debug)]
pub struct HostState {
    /// The canister's stable memory.
    pub stable: StableMemory,
    /// The canister's wasm memory (set after instantiation).
    pub memory: Option<Memory>,
    /// The current execution.
    pub ctx: MsgContext,
    /// The wasm memory limit.
    pub limiter: wasmi::StoreLimits,
}

impl HostState {
    /// A fresh state holding `stable`.
    pub fn new(stable: StableMemory, canister_id: Principal) -> Self {
        Self {
            stable,
            memory: None,
            ctx: MsgContext::new(
                ApiType::Start,
                canister_id,
                Principal::management_canister(),
            ),
            limiter: memory_limiter(None),
        }
    }
}

pub(crate) type Ctx<'a> = Caller<'a, HostState>;

/// Traps unless the current execution is one of `allowed` (the contexts of function `name`).
pub(crate) fn check(caller: &Ctx<'_>, name: &'static str, allowed: Contexts) -> Result<(), Error> {
    let api = caller.data().ctx.api;
    if allowed.contains(api) {
        Ok(())
    } else {
        Err(violation(format!(
            "\"ic0_{name}\" cannot be executed in {} mode",
            api.name()
        )))
    }
}

/// Charges `n` instructions (System API overhead / bytes copied).
pub(crate) fn charge(caller: &mut Ctx<'_>, n: u64) -> Result<(), Error> {
    let fuel = caller.get_fuel()?;
    if fuel < n {
        caller.set_fuel(0)?;
        return Err(Error::from(wasmi::TrapCode::OutOfFuel));
    }
    caller.set_fuel(fuel - n)?;
    Ok(())
}

fn memory(caller: &Ctx<'_>) -> Result<Memory, Error> {
    caller
        .data()
        .memory
        .ok_or_else(|| violation("the canister has no memory"))
}

/// The range of `len` bytes at `start` in a memory `data_len` bytes long.
fn mem_range(start: u32, len: usize, data_len: usize) -> Result<Range<usize>, Error> {
    let end = start as usize + len;
    if end > data_len {
        return Err(violation(format!(
            "memory access out of bounds: {start} + {len} > {data_len}"
        )));
    }
    Ok(start as usize..end)
}

/// Reads `size` bytes at `src` from the canister's memory.
pub(crate) fn read_mem(caller: &Ctx<'_>, src: u32, size: u32) -> Result<Vec<u8>, Error> {
    let data = memory(caller)?.data(caller);
    Ok(data[mem_range(src, size as usize, data.len())?].to_vec())
}

/// Writes `bytes` at `dst` into the canister's memory.
pub(crate) fn write_mem(caller: &mut Ctx<'_>, dst: u32, bytes: &[u8]) -> Result<(), Error> {
    let mem = memory(caller)?;
    write_into(mem.data_mut(&mut *caller), dst, bytes)
}

/// Writes `bytes` at `dst` into the memory `data`.
fn write_into(data: &mut [u8], dst: u32, bytes: &[u8]) -> Result<(), Error> {
    let range = mem_range(dst, bytes.len(), data.len())?;
    data[range].copy_from_slice(bytes);
    Ok(())
}

/// The range `offset..offset+size` of data `len` bytes long that function `name` copies out.
fn copy_range(name: &str, len: usize, offset: u32, size: u32) -> Result<Range<usize>, Error> {
    let end = offset as usize + size as usize;
    if end > len {
        return Err(violation(format!(
            "ic0.{name}: offset {offset} + size {size} exceeds the data length {len}"
        )));
    }
    Ok(offset as usize..end)
}

/// The `*_copy` idiom: copies `source[offset..offset+size]` to `dst`.
pub(crate) fn copy_out(
    caller: &mut Ctx<'_>,
    name: &str,
    source: &[u8],
    dst: u32,
    offset: u32,
    size: u32,
) -> Result<(), Error> {
    let range = copy_range(name, source.len(), offset, size)?;
    charge(caller, u64::from(size))?;
    write_mem(caller, dst, &source[range])
}

/// Where a `_size` / `_copy` pair reads its bytes: the bytes, or why there are none to read.
pub(crate) type ByteSource = fn(&MsgContext) -> Result<&[u8], &'static str>;

fn source_bytes<'a>(
    state: &'a HostState,
    name: &str,
    source: ByteSource,
) -> Result<&'a [u8], Error> {
    source(&state.ctx).map_err(|why| violation(format!("ic0.{name}: {why}")))
}

/// The `*_size` idiom: the length of the bytes `source` gives.
pub(crate) fn bytes_size(caller: &Ctx<'_>, name: &str, source: ByteSource) -> Result<i32, Error> {
    Ok(source_bytes(caller.data(), name, source)?.len() as i32)
}

/// [`copy_out`] of the bytes `source` gives, copied straight from the execution's state.
pub(crate) fn bytes_copy(
    caller: &mut Ctx<'_>,
    name: &str,
    source: ByteSource,
    dst: u32,
    offset: u32,
    size: u32,
) -> Result<(), Error> {
    let len = source_bytes(caller.data(), name, source)?.len();
    let range = copy_range(name, len, offset, size)?;
    charge(caller, u64::from(size))?;
    let mem = memory(caller)?;
    let (data, state) = mem.data_and_store_mut(&mut *caller);
    write_into(data, dst, &source_bytes(state, name, source)?[range])
}

/// Writes a 128-bit amount as 16 little-endian bytes.
pub(crate) fn write_u128(caller: &mut Ctx<'_>, dst: u32, amount: u128) -> Result<(), Error> {
    write_mem(caller, dst, &amount.to_le_bytes())
}

/// The amount passed as high and low 64-bit halves.
pub(crate) fn u128_of(high: i64, low: i64) -> u128 {
    (u128::from(high as u64) << 64) | u128::from(low as u64)
}

/// Every System API function the engine provides, with where it may be called.
pub(crate) fn functions() -> impl Iterator<Item = &'static Ic0Function> {
    msg::FUNCTIONS
        .iter()
        .chain(call::FUNCTIONS)
        .chain(stable::FUNCTIONS)
        .chain(env::FUNCTIONS)
}

/// A linker providing every System API function the engine supports.
pub fn linker(engine: &Engine) -> Linker<HostState> {
    let mut linker = Linker::new(engine);
    msg::add(&mut linker).expect("unique ic0 msg functions");
    call::add(&mut linker).expect("unique ic0 call functions");
    stable::add(&mut linker).expect("unique ic0 stable functions");
    env::add(&mut linker).expect("unique ic0 env functions");
    linker
}
