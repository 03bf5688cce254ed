//! `ic0.call_*`, `ic0.cost_*` and `ic0.cycles_burn128`: assembling and paying for outgoing calls.

use super::{check, read_mem, u128_of, violation, write_u128, Ctx, HostState, OutgoingCall};
use crate::cycles;
use candid::Principal;
use wasmi::{Error, Linker};

fn pending<'a>(c: &'a mut Ctx<'_>, name: &str) -> Result<&'a mut OutgoingCall, Error> {
    c.data_mut().ctx.pending.as_mut().ok_or_else(|| {
        violation(format!(
            "ic0.{name}: no call is under construction (call ic0.call_new first)"
        ))
    })
}

fn add_cycles(c: &mut Ctx<'_>, amount: u128) -> Result<(), Error> {
    pending(c, "call_cycles_add128")?;
    let ctx = &mut c.data_mut().ctx;
    if ctx.liquid_balance() < amount {
        return Err(violation(format!(
            "ic0.call_cycles_add128: cannot add {amount} cycles: the canister has only {} cycles above its freezing threshold",
            ctx.liquid_balance()
        )));
    }
    ctx.balance -= amount;
    if let Some(p) = ctx.pending.as_mut() {
        p.cycles += amount;
    }
    Ok(())
}

pub(super) fn add(l: &mut Linker<HostState>) -> Result<(), wasmi::errors::LinkerError> {
    l.func_wrap(
        "ic0",
        "call_new",
        |mut c: Ctx<'_>,
         callee_src: i32,
         callee_size: i32,
         name_src: i32,
         name_size: i32,
         reply_fun: i32,
         reply_env: i32,
         reject_fun: i32,
         reject_env: i32| {
            check(&c, "call_new")?;
            let callee = read_mem(&c, callee_src as u32, callee_size as u32)?;
            let callee = Principal::try_from_slice(&callee).map_err(|e| {
                violation(format!("ic0.call_new: the callee is not a principal: {e}"))
            })?;
            let name = read_mem(&c, name_src as u32, name_size as u32)?;
            let method = String::from_utf8(name)
                .map_err(|_| violation("ic0.call_new: the method name is not UTF-8"))?;
            let ctx = &mut c.data_mut().ctx;
            if let Some(old) = ctx.pending.take() {
                ctx.balance += old.cycles;
            }
            ctx.pending = Some(OutgoingCall {
                callee,
                method,
                payload: Vec::new(),
                cycles: 0,
                reply: (reply_fun as u32, reply_env as u32),
                reject: (reject_fun as u32, reject_env as u32),
                cleanup: None,
                timeout_seconds: None,
                fees_reserved: 0,
            });
            Ok(())
        },
    )?;
    l.func_wrap(
        "ic0",
        "call_on_cleanup",
        |mut c: Ctx<'_>, fun: i32, env: i32| {
            check(&c, "call_on_cleanup")?;
            let p = pending(&mut c, "call_on_cleanup")?;
            if p.cleanup.is_some() {
                return Err(violation(
                    "ic0.call_on_cleanup: the cleanup callback is already set",
                ));
            }
            p.cleanup = Some((fun as u32, env as u32));
            Ok(())
        },
    )?;
    l.func_wrap(
        "ic0",
        "call_data_append",
        |mut c: Ctx<'_>, src: i32, size: i32| {
            check(&c, "call_data_append")?;
            pending(&mut c, "call_data_append")?;
            let bytes = read_mem(&c, src as u32, size as u32)?;
            super::charge(&mut c, bytes.len() as u64)?;
            pending(&mut c, "call_data_append")?
                .payload
                .extend_from_slice(&bytes);
            Ok(())
        },
    )?;
    l.func_wrap(
        "ic0",
        "call_with_best_effort_response",
        |mut c: Ctx<'_>, timeout: i32| {
            check(&c, "call_with_best_effort_response")?;
            let p = pending(&mut c, "call_with_best_effort_response")?;
            if p.timeout_seconds.is_some() {
                return Err(violation(
                    "ic0.call_with_best_effort_response: may be called at most once per call",
                ));
            }
            let capped = (timeout as u32).clamp(1, cycles::MAX_BOUNDED_WAIT_SECONDS as u32);
            p.timeout_seconds = Some(capped);
            Ok(())
        },
    )?;
    l.func_wrap(
        "ic0",
        "call_cycles_add128",
        |mut c: Ctx<'_>, high: i64, low: i64| {
            check(&c, "call_cycles_add128")?;
            add_cycles(&mut c, u128_of(high, low))
        },
    )?;
    l.func_wrap("ic0", "call_cycles_add", |mut c: Ctx<'_>, amount: i64| {
        check(&c, "call_cycles_add")?;
        add_cycles(&mut c, u128::from(amount as u64))
    })?;
    l.func_wrap(
        "ic0",
        "call_perform",
        |mut c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "call_perform")?;
            pending(&mut c, "call_perform")?;
            let ctx = &mut c.data_mut().ctx;
            let mut call = ctx.pending.take().expect("checked above");
            let fee = cycles::call_fee(call.method.len() as u64, call.payload.len() as u64)
                + cycles::response_reservation();
            if ctx.liquid_balance() < fee {
                // The call is not made; its cycles return to the balance.
                ctx.balance += call.cycles;
                return Ok(crate::error::RejectCode::SysTransient as i32);
            }
            ctx.balance -= fee;
            call.fees_reserved = fee;
            ctx.calls.push(call);
            Ok(0)
        },
    )?;
    l.func_wrap(
        "ic0",
        "cost_call",
        |mut c: Ctx<'_>, name_size: i64, payload_size: i64, dst: i32| {
            check(&c, "cost_call")?;
            let fee = cycles::call_fee(name_size as u64, payload_size as u64)
                + cycles::response_reservation();
            write_u128(&mut c, dst as u32, fee)
        },
    )?;
    l.func_wrap("ic0", "cost_create_canister", |mut c: Ctx<'_>, dst: i32| {
        check(&c, "cost_create_canister")?;
        write_u128(&mut c, dst as u32, cycles::CANISTER_CREATION_FEE)
    })?;
    l.func_wrap(
        "ic0",
        "cost_http_request",
        |mut c: Ctx<'_>, req: i64, max_res: i64, dst: i32| {
            check(&c, "cost_http_request")?;
            // 13-node schedule: (3M + 60K*n) * n + 400*req + 800*res with n = 13.
            let n = 13u128;
            let fee = (3_000_000 + 60_000 * n) * n
                + 400 * u128::from(req as u64)
                + 800 * u128::from(max_res as u64);
            write_u128(&mut c, dst as u32, fee)
        },
    )?;
    for name in [
        "cost_sign_with_ecdsa",
        "cost_sign_with_schnorr",
        "cost_vetkd_derive_key",
    ] {
        l.func_wrap(
            "ic0",
            name,
            move |mut c: Ctx<'_>,
                  _src: i32,
                  _size: i32,
                  _curve: i32,
                  dst: i32|
                  -> Result<i32, Error> {
                check(&c, name)?;
                // ic-sim has no threshold keys: report the fee of the test key (10 B cycles).
                write_u128(&mut c, dst as u32, 10_000_000_000)?;
                Ok(0)
            },
        )?;
    }
    l.func_wrap(
        "ic0",
        "cycles_burn128",
        |mut c: Ctx<'_>, high: i64, low: i64, dst: i32| {
            check(&c, "cycles_burn128")?;
            let ctx = &mut c.data_mut().ctx;
            let amount = u128_of(high, low).min(ctx.liquid_balance());
            ctx.balance -= amount;
            ctx.cycles_burned += amount;
            write_u128(&mut c, dst as u32, amount)
        },
    )?;
    Ok(())
}
