//! `ic0.msg_*` and `accept_message`: the message's argument, caller, responses and cycles.

use super::{charge, read_mem, u128_of, violation, write_u128, Ctx, Response};
use wasmi::Error;

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

ic0! {
    bytes {
        msg_arg_data [I U RQ NRQ CQ Ry F] = |ctx| Ok(ctx.arg.as_slice());
        msg_caller [*] = |ctx| Ok(ctx.caller.as_slice());
        // ic-sim has no caller info: both are always empty.
        msg_caller_info_data [U RQ NRQ CQ Ry Rt C F] = |_ctx| Ok(&[][..]);
        msg_caller_info_signer [U RQ NRQ CQ Ry Rt C F] = |_ctx| Ok(&[][..]);
        msg_reject_msg [Rt] = |ctx| match &ctx.reject {
            Some((code, msg)) if *code != 0 => Ok(msg.as_bytes()),
            _ => Err("there is no reject message"),
        };
        msg_method_name [F] = |ctx| Ok(ctx.method_name.as_bytes());
    }

    fn msg_reject_code(c) -> i32 [Ry Rt C] {
        Ok(c.data().ctx.reject.as_ref().map_or(0, |r| r.0) as i32)
    }

    fn msg_deadline(c) -> i64 [U RQ NRQ CQ Ry Rt] {
        Ok(c.data().ctx.deadline as i64)
    }

    fn msg_reply_data_append(c, src: i32, size: i32) [U RQ NRQ CQ Ry Rt] {
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
    }

    fn msg_reply(c) [U RQ NRQ CQ Ry Rt] {
        ensure_can_respond(&c, "msg_reply")?;
        let ctx = &mut c.data_mut().ctx;
        ctx.response = Some(Response::Reply(std::mem::take(&mut ctx.reply_buf)));
        Ok(())
    }

    fn msg_reject(c, src: i32, size: i32) [U RQ NRQ CQ Ry Rt] {
        ensure_can_respond(&c, "msg_reject")?;
        let bytes = read_mem(&c, src as u32, size as u32)?;
        let msg = String::from_utf8_lossy(&bytes).into_owned();
        c.data_mut().ctx.response = Some(Response::Reject(msg));
        Ok(())
    }

    fn msg_cycles_available128(c, dst: i32) [U RQ Rt Ry] {
        let v = c.data().ctx.cycles_available;
        write_u128(&mut c, dst as u32, v)
    }

    fn msg_cycles_available(c) -> i64 [U RQ Rt Ry] {
        Ok(c.data().ctx.cycles_available.min(u64::MAX as u128) as i64)
    }

    fn msg_cycles_refunded128(c, dst: i32) [Rt Ry] {
        let v = c.data().ctx.cycles_refunded;
        write_u128(&mut c, dst as u32, v)
    }

    fn msg_cycles_refunded(c) -> i64 [Rt Ry] {
        Ok(c.data().ctx.cycles_refunded.min(u64::MAX as u128) as i64)
    }

    fn msg_cycles_accept128(c, high: i64, low: i64, dst: i32) [U RQ Rt Ry] {
        let amount = accept(&mut c, u128_of(high, low));
        write_u128(&mut c, dst as u32, amount)
    }

    fn msg_cycles_accept(c, max: i64) -> i64 [U RQ Rt Ry] {
        Ok(accept(&mut c, u128::from(max as u64)) as i64)
    }

    fn accept_message(c) [F] {
        if c.data().ctx.accepted {
            return Err(violation("ic0.accept_message: the function was already called"));
        }
        c.data_mut().ctx.accepted = true;
        Ok(())
    }
}
