//! `ic0.msg_*` and `accept_message`: the message's argument, caller, responses and cycles.

use super::{
    charge, check, copy_out, read_mem, u128_of, violation, write_u128, Ctx, HostState, Response,
};
use wasmi::{Error, Linker};

/// Largest reply a canister may assemble.
const MAX_REPLY_BYTES: usize = 2 * 1024 * 1024;

fn ensure_can_respond(caller: &Ctx<'_>, name: &str) -> Result<(), Error> {
    let ctx = &caller.data().ctx;
    if !ctx.needs_response || ctx.response.is_some() {
        return Err(violation(format!(
            "ic0.{name}: the call is already replied or rejected (a call can be responded to only once)"
        )));
    }
    Ok(())
}

fn accept(caller: &mut Ctx<'_>, max: u128) -> u128 {
    let ctx = &mut caller.data_mut().ctx;
    let amount = max.min(ctx.cycles_available);
    ctx.cycles_available -= amount;
    ctx.cycles_accepted += amount;
    ctx.balance += amount;
    amount
}

pub(super) fn add(l: &mut Linker<HostState>) -> Result<(), wasmi::errors::LinkerError> {
    l.func_wrap(
        "ic0",
        "msg_arg_data_size",
        |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "msg_arg_data_size")?;
            Ok(c.data().ctx.arg.len() as i32)
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_arg_data_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| {
            check(&c, "msg_arg_data_copy")?;
            let arg = std::mem::take(&mut c.data_mut().ctx.arg);
            let r = copy_out(
                &mut c,
                "msg_arg_data_copy",
                &arg,
                dst as u32,
                off as u32,
                size as u32,
            );
            c.data_mut().ctx.arg = arg;
            r
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_caller_size",
        |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "msg_caller_size")?;
            Ok(c.data().ctx.caller.as_slice().len() as i32)
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_caller_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| {
            check(&c, "msg_caller_copy")?;
            let caller = c.data().ctx.caller;
            copy_out(
                &mut c,
                "msg_caller_copy",
                caller.as_slice(),
                dst as u32,
                off as u32,
                size as u32,
            )
        },
    )?;
    for name in ["msg_caller_info_data_size", "msg_caller_info_signer_size"] {
        l.func_wrap("ic0", name, move |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, name)?;
            Ok(0)
        })?;
    }
    for name in ["msg_caller_info_data_copy", "msg_caller_info_signer_copy"] {
        l.func_wrap(
            "ic0",
            name,
            move |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| {
                check(&c, name)?;
                copy_out(&mut c, name, &[], dst as u32, off as u32, size as u32)
            },
        )?;
    }
    l.func_wrap(
        "ic0",
        "msg_reject_code",
        |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "msg_reject_code")?;
            Ok(c.data().ctx.reject.as_ref().map_or(0, |r| r.0) as i32)
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_reject_msg_size",
        |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "msg_reject_msg_size")?;
            match &c.data().ctx.reject {
                Some((code, msg)) if *code != 0 => Ok(msg.len() as i32),
                _ => Err(violation(
                    "ic0.msg_reject_msg_size: there is no reject message",
                )),
            }
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_reject_msg_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| {
            check(&c, "msg_reject_msg_copy")?;
            let msg = match &c.data().ctx.reject {
                Some((code, msg)) if *code != 0 => msg.clone(),
                _ => {
                    return Err(violation(
                        "ic0.msg_reject_msg_copy: there is no reject message",
                    ))
                }
            };
            copy_out(
                &mut c,
                "msg_reject_msg_copy",
                msg.as_bytes(),
                dst as u32,
                off as u32,
                size as u32,
            )
        },
    )?;
    l.func_wrap("ic0", "msg_deadline", |c: Ctx<'_>| -> Result<i64, Error> {
        check(&c, "msg_deadline")?;
        Ok(c.data().ctx.deadline as i64)
    })?;
    l.func_wrap("ic0", "msg_reply_data_append", |mut c: Ctx<'_>, src: i32, size: i32| {
        check(&c, "msg_reply_data_append")?;
        ensure_can_respond(&c, "msg_reply_data_append")?;
        let bytes = read_mem(&c, src as u32, size as u32)?;
        charge(&mut c, bytes.len() as u64)?;
        let buf = &mut c.data_mut().ctx.reply_buf;
        if buf.len() + bytes.len() > MAX_REPLY_BYTES {
            return Err(violation(format!(
                "ic0.msg_reply_data_append: the reply exceeds the maximum of {MAX_REPLY_BYTES} bytes"
            )));
        }
        buf.extend_from_slice(&bytes);
        Ok(())
    })?;
    l.func_wrap("ic0", "msg_reply", |mut c: Ctx<'_>| {
        check(&c, "msg_reply")?;
        ensure_can_respond(&c, "msg_reply")?;
        let ctx = &mut c.data_mut().ctx;
        ctx.response = Some(Response::Reply(std::mem::take(&mut ctx.reply_buf)));
        Ok(())
    })?;
    l.func_wrap(
        "ic0",
        "msg_reject",
        |mut c: Ctx<'_>, src: i32, size: i32| {
            check(&c, "msg_reject")?;
            ensure_can_respond(&c, "msg_reject")?;
            let bytes = read_mem(&c, src as u32, size as u32)?;
            let msg = String::from_utf8_lossy(&bytes).into_owned();
            c.data_mut().ctx.response = Some(Response::Reject(msg));
            Ok(())
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_cycles_available128",
        |mut c: Ctx<'_>, dst: i32| {
            check(&c, "msg_cycles_available128")?;
            let v = c.data().ctx.cycles_available;
            write_u128(&mut c, dst as u32, v)
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_cycles_available",
        |c: Ctx<'_>| -> Result<i64, Error> {
            check(&c, "msg_cycles_available")?;
            Ok(c.data().ctx.cycles_available.min(u64::MAX as u128) as i64)
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_cycles_refunded128",
        |mut c: Ctx<'_>, dst: i32| {
            check(&c, "msg_cycles_refunded128")?;
            let v = c.data().ctx.cycles_refunded;
            write_u128(&mut c, dst as u32, v)
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_cycles_refunded",
        |c: Ctx<'_>| -> Result<i64, Error> {
            check(&c, "msg_cycles_refunded")?;
            Ok(c.data().ctx.cycles_refunded.min(u64::MAX as u128) as i64)
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_cycles_accept128",
        |mut c: Ctx<'_>, high: i64, low: i64, dst: i32| {
            check(&c, "msg_cycles_accept128")?;
            let amount = accept(&mut c, u128_of(high, low));
            write_u128(&mut c, dst as u32, amount)
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_cycles_accept",
        |mut c: Ctx<'_>, max: i64| -> Result<i64, Error> {
            check(&c, "msg_cycles_accept")?;
            Ok(accept(&mut c, u128::from(max as u64)) as i64)
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_method_name_size",
        |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "msg_method_name_size")?;
            Ok(c.data().ctx.method_name.len() as i32)
        },
    )?;
    l.func_wrap(
        "ic0",
        "msg_method_name_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| {
            check(&c, "msg_method_name_copy")?;
            let name = c.data().ctx.method_name.clone();
            copy_out(
                &mut c,
                "msg_method_name_copy",
                name.as_bytes(),
                dst as u32,
                off as u32,
                size as u32,
            )
        },
    )?;
    l.func_wrap("ic0", "accept_message", |mut c: Ctx<'_>| {
        check(&c, "accept_message")?;
        if c.data().ctx.accepted {
            return Err(violation(
                "ic0.accept_message: the function was already called",
            ));
        }
        c.data_mut().ctx.accepted = true;
        Ok(())
    })?;
    Ok(())
}
