//! The rest of `ic0`: the canister's own id, balance and status, time and the global timer,
//! certified data, performance counters, controllers, environment variables, `debug_print` and
//! `trap`.

use super::{copy_out, read_mem, trap, violation, write_u128, Ctx};
use crate::error::ErrorCode;
use candid::Principal;
use wasmi::Error;

/// Why `ic0.data_certificate_size` / `_copy` trap outside a query call's target canister.
const NO_CERTIFICATE: &str = "no data certificate is present (only a query call's target canister has one, and only when the instance certifies)";

fn env_value<'a>(c: &'a Ctx<'_>, name: &[u8]) -> Option<&'a str> {
    c.data()
        .ctx
        .env_vars
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|(_, v)| v.as_str())
}

fn env_name<'a>(c: &'a Ctx<'_>, name: &str, index: i32) -> Result<&'a str, Error> {
    let vars = &c.data().ctx.env_vars;
    vars.get(index as usize)
        .map(|(n, _)| n.as_str())
        .ok_or_else(|| violation(format!("ic0.{name}: index out of range")))
}

fn env_value_named<'a>(c: &'a Ctx<'_>, name: &str, src: i32, size: i32) -> Result<&'a str, Error> {
    let var = read_mem(c, src as u32, size as u32)?;
    env_value(c, &var).ok_or_else(|| violation(format!("ic0.{name}: no such variable")))
}

ic0! {
    bytes {
        canister_self [*] = |ctx| Ok(ctx.canister_id.as_slice());
        subnet_self [*] = |ctx| Ok(ctx.subnet_id.as_slice());
        root_key [I G U RQ Ry Rt C T] = |ctx| Ok(ctx.root_key.as_slice());
        data_certificate [NRQ CQ] = |ctx| ctx.data_certificate.as_ref().map(|d| d.bytes()).ok_or(NO_CERTIFICATE);
    }

    fn canister_cycle_balance128(c, dst: i32) [*] {
        let v = c.data().ctx.balance;
        write_u128(&mut c, dst as u32, v)
    }

    fn canister_cycle_balance(c) -> i64 [*] {
        let v = c.data().ctx.balance;
        if v > u128::from(u64::MAX) {
            return Err(violation(
                "ic0.canister_cycle_balance: the balance does not fit in 64 bits",
            ));
        }
        Ok(v as i64)
    }

    fn canister_liquid_cycle_balance128(c, dst: i32) [*] {
        let v = c.data().ctx.liquid_balance();
        write_u128(&mut c, dst as u32, v)
    }

    fn canister_status(c) -> i32 [*] {
        Ok(c.data().ctx.status as i32)
    }

    fn canister_version(c) -> i64 [*] {
        Ok(c.data().ctx.version as i64)
    }

    fn certified_data_set(c, src: i32, size: i32) [I G U Ry Rt T] {
        if size > 32 {
            return Err(violation("ic0.certified_data_set: certified data is at most 32 bytes"));
        }
        let data = read_mem(&c, src as u32, size as u32)?;
        c.data_mut().ctx.certified_data = Some(data);
        Ok(())
    }

    fn data_certificate_present(c) -> i32 [*] {
        Ok(i32::from(c.data().ctx.data_certificate.is_some()))
    }

    fn time(c) -> i64 [*] {
        Ok(c.data().ctx.time as i64)
    }

    fn global_timer_set(c, t: i64) -> i64 [I G U Ry Rt C T] {
        let ctx = &mut c.data_mut().ctx;
        let old = ctx.global_timer;
        ctx.global_timer = t as u64;
        Ok(old as i64)
    }

    fn performance_counter(c, kind: i32) -> i64 [* s] {
        let ctx = &c.data().ctx;
        let used = ctx.instruction_limit.saturating_sub(c.get_fuel()?);
        match kind {
            0 => Ok(used as i64),
            1 => Ok((ctx.call_context_instructions + used) as i64),
            _ => Err(violation(format!(
                "ic0.performance_counter: unknown counter type {kind}"
            ))),
        }
    }

    fn is_controller(c, src: i32, size: i32) -> i32 [* s] {
        let bytes = read_mem(&c, src as u32, size as u32)?;
        let p = Principal::try_from_slice(&bytes)
            .map_err(|e| violation(format!("ic0.is_controller: not a principal: {e}")))?;
        Ok(i32::from(c.data().ctx.controllers.contains(&p)))
    }

    fn in_replicated_execution(c) -> i32 [* s] {
        Ok(i32::from(c.data().ctx.api.is_replicated()))
    }

    fn env_var_count(c) -> i32 [*] {
        Ok(c.data().ctx.env_vars.len() as i32)
    }

    fn env_var_name_size(c, i: i32) -> i32 [*] {
        Ok(env_name(&c, "env_var_name_size", i)?.len() as i32)
    }

    fn env_var_name_copy(c, i: i32, dst: i32, off: i32, size: i32) [*] {
        let name = env_name(&c, "env_var_name_copy", i)?.to_owned();
        copy_out(&mut c, "env_var_name_copy", name.as_bytes(), dst as u32, off as u32, size as u32)
    }

    fn env_var_name_exists(c, src: i32, size: i32) -> i32 [*] {
        let name = read_mem(&c, src as u32, size as u32)?;
        Ok(i32::from(env_value(&c, &name).is_some()))
    }

    fn env_var_value_size(c, src: i32, size: i32) -> i32 [*] {
        Ok(env_value_named(&c, "env_var_value_size", src, size)?.len() as i32)
    }

    fn env_var_value_copy(c, src: i32, size: i32, dst: i32, off: i32, len: i32) [*] {
        let value = env_value_named(&c, "env_var_value_copy", src, size)?.to_owned();
        copy_out(&mut c, "env_var_value_copy", value.as_bytes(), dst as u32, off as u32, len as u32)
    }

    fn debug_print(c, src: i32, size: i32) [* s] {
        let bytes = read_mem(&c, src as u32, size as u32)?;
        c.data_mut().ctx.logs.push(bytes);
        Ok(())
    }

    fn trap(c, src: i32, size: i32) [* s] {
        let bytes = read_mem(&c, src as u32, size as u32)?;
        Err(trap(
            ErrorCode::CanisterCalledTrap,
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    }
}
