//! `ic0.call_*`, `ic0.cost_*` and `ic0.cycles_burn128`: assembling and paying for outgoing calls.

use super::{charge, read_mem, u128_of, violation, write_u128, Ctx, OutgoingCall};
use crate::call_context::CallbackFunctions;
use crate::cycles;
use candid::Principal;
use wasmi::Error;

/// What ic-sim reports for every threshold-key operation: the fee of the test key (it has no keys).
const THRESHOLD_KEY_FEE: u128 = 10_000_000_000;

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

fn write_threshold_key_fee(c: &mut Ctx<'_>, dst: i32) -> Result<i32, Error> {
    write_u128(c, dst as u32, THRESHOLD_KEY_FEE)?;
    Ok(0)
}

ic0! {
    fn call_new(
        c,
        callee_src: i32,
        callee_size: i32,
        name_src: i32,
        name_size: i32,
        reply_fun: i32,
        reply_env: i32,
        reject_fun: i32,
        reject_env: i32
    ) [U CQ Ry Rt T] {
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
            functions: CallbackFunctions {
                reply: (reply_fun as u32, reply_env as u32),
                reject: (reject_fun as u32, reject_env as u32),
                cleanup: None,
            },
            timeout_seconds: None,
            fees_reserved: 0,
        });
        Ok(())
    }

    fn call_on_cleanup(c, fun: i32, env: i32) [U CQ Ry Rt T] {
        let p = pending(&mut c, "call_on_cleanup")?;
        if p.functions.cleanup.is_some() {
            return Err(violation("ic0.call_on_cleanup: the cleanup callback is already set"));
        }
        p.functions.cleanup = Some((fun as u32, env as u32));
        Ok(())
    }

    fn call_data_append(c, src: i32, size: i32) [U CQ Ry Rt T] {
        pending(&mut c, "call_data_append")?;
        let bytes = read_mem(&c, src as u32, size as u32)?;
        charge(&mut c, bytes.len() as u64)?;
        pending(&mut c, "call_data_append")?.payload.extend_from_slice(&bytes);
        Ok(())
    }

    fn call_with_best_effort_response(c, timeout: i32) [U CQ Ry Rt T] {
        let p = pending(&mut c, "call_with_best_effort_response")?;
        if p.timeout_seconds.is_some() {
            return Err(violation(
                "ic0.call_with_best_effort_response: may be called at most once per call",
            ));
        }
        let capped = (timeout as u32).clamp(1, cycles::MAX_BOUNDED_WAIT_SECONDS as u32);
        p.timeout_seconds = Some(capped);
        Ok(())
    }

    fn call_cycles_add128(c, high: i64, low: i64) [U Ry Rt T] {
        add_cycles(&mut c, u128_of(high, low))
    }

    fn call_cycles_add(c, amount: i64) [U Ry Rt T] {
        add_cycles(&mut c, u128::from(amount as u64))
    }

    fn call_perform(c) -> i32 [U CQ Ry Rt T] {
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
    }

    fn cost_call(c, name_size: i64, payload_size: i64, dst: i32) [* s] {
        let fee = cycles::call_fee(name_size as u64, payload_size as u64)
            + cycles::response_reservation();
        write_u128(&mut c, dst as u32, fee)
    }

    fn cost_create_canister(c, dst: i32) [* s] {
        write_u128(&mut c, dst as u32, cycles::CANISTER_CREATION_FEE)
    }

    fn cost_http_request(c, req: i64, max_res: i64, dst: i32) [* s] {
        let fee = cycles::http_request_fee(req as u64, max_res as u64);
        write_u128(&mut c, dst as u32, fee)
    }

    fn cost_sign_with_ecdsa(c, _src: i32, _size: i32, _curve: i32, dst: i32) -> i32 [* s] {
        write_threshold_key_fee(&mut c, dst)
    }

    fn cost_sign_with_schnorr(c, _src: i32, _size: i32, _algorithm: i32, dst: i32) -> i32 [* s] {
        write_threshold_key_fee(&mut c, dst)
    }

    fn cost_vetkd_derive_key(c, _src: i32, _size: i32, _curve: i32, dst: i32) -> i32 [* s] {
        write_threshold_key_fee(&mut c, dst)
    }

    fn cycles_burn128(c, high: i64, low: i64, dst: i32) [I G U RQ Ry Rt C T] {
        let ctx = &mut c.data_mut().ctx;
        let amount = u128_of(high, low).min(ctx.liquid_balance());
        ctx.balance -= amount;
        ctx.cycles_burned += amount;
        write_u128(&mut c, dst as u32, amount)
    }
}
