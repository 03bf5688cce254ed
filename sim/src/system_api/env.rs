//! The rest of `ic0`: the canister's own id, balance and status, stable memory, time and the
//! global timer, certified data, performance counters, controllers, environment variables,
//! `debug_print` and `trap`.

use super::{
    charge, check, copy_out, read_mem, trap, violation, write_mem, write_u128, Ctx, HostState,
};
use crate::error::ErrorCode;
use crate::wasm::stable::WASM_PAGE;
use candid::Principal;
use wasmi::{Error, Linker};

/// Largest stable memory, in pages (500 GiB).
const MAX_STABLE_PAGES: u64 = 500 * 1024 * 16;
/// Largest stable memory reachable through the 32-bit API, in pages (4 GiB).
const MAX_STABLE32_PAGES: u64 = 65536;

fn stable_write(
    c: &mut Ctx<'_>,
    name: &str,
    offset: u64,
    src: u64,
    size: u64,
) -> Result<(), Error> {
    if !c.data().stable.in_bounds(offset, size) {
        return Err(violation(format!(
            "ic0.{name}: stable memory out of bounds (offset {offset} + size {size} > {} bytes)",
            c.data().stable.size_bytes()
        )));
    }
    let bytes = read_mem(
        c,
        u32::try_from(src).map_err(|_| violation("pointer out of range"))?,
        size as u32,
    )?;
    charge(c, size)?;
    c.data_mut().stable.write(offset, &bytes);
    Ok(())
}

fn stable_read(c: &mut Ctx<'_>, name: &str, dst: u64, offset: u64, size: u64) -> Result<(), Error> {
    if !c.data().stable.in_bounds(offset, size) {
        return Err(violation(format!(
            "ic0.{name}: stable memory out of bounds (offset {offset} + size {size} > {} bytes)",
            c.data().stable.size_bytes()
        )));
    }
    let mut buf = vec![0u8; size as usize];
    c.data().stable.read(offset, &mut buf);
    charge(c, size)?;
    write_mem(
        c,
        u32::try_from(dst).map_err(|_| violation("pointer out of range"))?,
        &buf,
    )
}

fn stable_grow(c: &mut Ctx<'_>, new_pages: u64, max: u64) -> i64 {
    let old = c.data().stable.size_pages();
    match old.checked_add(new_pages) {
        Some(total) if total <= max => {
            c.data_mut().stable.grow(new_pages);
            old as i64
        }
        _ => -1,
    }
}

fn env_value<'a>(c: &'a Ctx<'_>, name: &[u8]) -> Option<&'a str> {
    c.data()
        .ctx
        .env_vars
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|(_, v)| v.as_str())
}

pub(super) fn add(l: &mut Linker<HostState>) -> Result<(), wasmi::errors::LinkerError> {
    l.func_wrap(
        "ic0",
        "canister_self_size",
        |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "canister_self_size")?;
            Ok(c.data().ctx.canister_id.as_slice().len() as i32)
        },
    )?;
    l.func_wrap(
        "ic0",
        "canister_self_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| {
            check(&c, "canister_self_copy")?;
            let id = c.data().ctx.canister_id;
            copy_out(
                &mut c,
                "canister_self_copy",
                id.as_slice(),
                dst as u32,
                off as u32,
                size as u32,
            )
        },
    )?;
    l.func_wrap(
        "ic0",
        "subnet_self_size",
        |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "subnet_self_size")?;
            Ok(c.data().ctx.subnet_id.as_slice().len() as i32)
        },
    )?;
    l.func_wrap(
        "ic0",
        "subnet_self_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| {
            check(&c, "subnet_self_copy")?;
            let id = c.data().ctx.subnet_id;
            copy_out(
                &mut c,
                "subnet_self_copy",
                id.as_slice(),
                dst as u32,
                off as u32,
                size as u32,
            )
        },
    )?;
    l.func_wrap(
        "ic0",
        "canister_cycle_balance128",
        |mut c: Ctx<'_>, dst: i32| {
            check(&c, "canister_cycle_balance128")?;
            let v = c.data().ctx.balance;
            write_u128(&mut c, dst as u32, v)
        },
    )?;
    l.func_wrap(
        "ic0",
        "canister_cycle_balance",
        |c: Ctx<'_>| -> Result<i64, Error> {
            check(&c, "canister_cycle_balance")?;
            let v = c.data().ctx.balance;
            if v > u128::from(u64::MAX) {
                return Err(violation(
                    "ic0.canister_cycle_balance: the balance does not fit in 64 bits",
                ));
            }
            Ok(v as i64)
        },
    )?;
    l.func_wrap(
        "ic0",
        "canister_liquid_cycle_balance128",
        |mut c: Ctx<'_>, dst: i32| {
            check(&c, "canister_liquid_cycle_balance128")?;
            let v = c.data().ctx.liquid_balance();
            write_u128(&mut c, dst as u32, v)
        },
    )?;
    l.func_wrap(
        "ic0",
        "canister_status",
        |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "canister_status")?;
            Ok(c.data().ctx.status as i32)
        },
    )?;
    l.func_wrap(
        "ic0",
        "canister_version",
        |c: Ctx<'_>| -> Result<i64, Error> {
            check(&c, "canister_version")?;
            Ok(c.data().ctx.version as i64)
        },
    )?;
    l.func_wrap("ic0", "stable64_size", |c: Ctx<'_>| -> Result<i64, Error> {
        check(&c, "stable64_size")?;
        Ok(c.data().stable.size_pages() as i64)
    })?;
    l.func_wrap(
        "ic0",
        "stable64_grow",
        |mut c: Ctx<'_>, pages: i64| -> Result<i64, Error> {
            check(&c, "stable64_grow")?;
            Ok(stable_grow(&mut c, pages as u64, MAX_STABLE_PAGES))
        },
    )?;
    l.func_wrap(
        "ic0",
        "stable64_write",
        |mut c: Ctx<'_>, offset: i64, src: i64, size: i64| {
            check(&c, "stable64_write")?;
            stable_write(
                &mut c,
                "stable64_write",
                offset as u64,
                src as u64,
                size as u64,
            )
        },
    )?;
    l.func_wrap(
        "ic0",
        "stable64_read",
        |mut c: Ctx<'_>, dst: i64, offset: i64, size: i64| {
            check(&c, "stable64_read")?;
            stable_read(
                &mut c,
                "stable64_read",
                dst as u64,
                offset as u64,
                size as u64,
            )
        },
    )?;
    l.func_wrap("ic0", "stable_size", |c: Ctx<'_>| -> Result<i32, Error> {
        check(&c, "stable_size")?;
        let pages = c.data().stable.size_pages();
        if pages > MAX_STABLE32_PAGES {
            return Err(violation(
                "ic0.stable_size: stable memory exceeds 4 GiB; use ic0.stable64_size",
            ));
        }
        Ok(pages as i32)
    })?;
    l.func_wrap(
        "ic0",
        "stable_grow",
        |mut c: Ctx<'_>, pages: i32| -> Result<i32, Error> {
            check(&c, "stable_grow")?;
            Ok(stable_grow(&mut c, pages as u32 as u64, MAX_STABLE32_PAGES) as i32)
        },
    )?;
    l.func_wrap(
        "ic0",
        "stable_write",
        |mut c: Ctx<'_>, offset: i32, src: i32, size: i32| {
            check(&c, "stable_write")?;
            stable_write(
                &mut c,
                "stable_write",
                offset as u32 as u64,
                src as u32 as u64,
                size as u32 as u64,
            )
        },
    )?;
    l.func_wrap(
        "ic0",
        "stable_read",
        |mut c: Ctx<'_>, dst: i32, offset: i32, size: i32| {
            check(&c, "stable_read")?;
            stable_read(
                &mut c,
                "stable_read",
                dst as u32 as u64,
                offset as u32 as u64,
                size as u32 as u64,
            )
        },
    )?;
    l.func_wrap("ic0", "root_key_size", |c: Ctx<'_>| -> Result<i32, Error> {
        check(&c, "root_key_size")?;
        Ok(c.data().ctx.root_key.len() as i32)
    })?;
    l.func_wrap(
        "ic0",
        "root_key_copy",
        |mut c: Ctx<'_>, dst: i32, off: i32, size: i32| {
            check(&c, "root_key_copy")?;
            let key = c.data().ctx.root_key.clone();
            copy_out(
                &mut c,
                "root_key_copy",
                &key,
                dst as u32,
                off as u32,
                size as u32,
            )
        },
    )?;
    l.func_wrap(
        "ic0",
        "certified_data_set",
        |mut c: Ctx<'_>, src: i32, size: i32| {
            check(&c, "certified_data_set")?;
            if size > 32 {
                return Err(violation(
                    "ic0.certified_data_set: certified data is at most 32 bytes",
                ));
            }
            let data = read_mem(&c, src as u32, size as u32)?;
            c.data_mut().ctx.certified_data = Some(data);
            Ok(())
        },
    )?;
    l.func_wrap(
        "ic0",
        "data_certificate_present",
        |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "data_certificate_present")?;
            Ok(0)
        },
    )?;
    l.func_wrap("ic0", "data_certificate_size", |c: Ctx<'_>| -> Result<i32, Error> {
        check(&c, "data_certificate_size")?;
        Err(violation("ic0.data_certificate_size: no data certificate is present (ic-sim does not certify)"))
    })?;
    l.func_wrap("ic0", "data_certificate_copy", |c: Ctx<'_>, _d: i32, _o: i32, _s: i32| {
        check(&c, "data_certificate_copy")?;
        Err::<(), _>(violation("ic0.data_certificate_copy: no data certificate is present (ic-sim does not certify)"))
    })?;
    l.func_wrap("ic0", "time", |c: Ctx<'_>| -> Result<i64, Error> {
        check(&c, "time")?;
        Ok(c.data().ctx.time as i64)
    })?;
    l.func_wrap(
        "ic0",
        "global_timer_set",
        |mut c: Ctx<'_>, t: i64| -> Result<i64, Error> {
            check(&c, "global_timer_set")?;
            let ctx = &mut c.data_mut().ctx;
            let old = ctx.global_timer;
            ctx.global_timer = t as u64;
            Ok(old as i64)
        },
    )?;
    l.func_wrap(
        "ic0",
        "performance_counter",
        |c: Ctx<'_>, kind: i32| -> Result<i64, Error> {
            check(&c, "performance_counter")?;
            let ctx = &c.data().ctx;
            let used = ctx.instruction_limit.saturating_sub(c.get_fuel()?);
            match kind {
                0 => Ok(used as i64),
                1 => Ok((ctx.call_context_instructions + used) as i64),
                _ => Err(violation(format!(
                    "ic0.performance_counter: unknown counter type {kind}"
                ))),
            }
        },
    )?;
    l.func_wrap(
        "ic0",
        "is_controller",
        |c: Ctx<'_>, src: i32, size: i32| -> Result<i32, Error> {
            check(&c, "is_controller")?;
            let bytes = read_mem(&c, src as u32, size as u32)?;
            let p = Principal::try_from_slice(&bytes)
                .map_err(|e| violation(format!("ic0.is_controller: not a principal: {e}")))?;
            Ok(i32::from(c.data().ctx.controllers.contains(&p)))
        },
    )?;
    l.func_wrap(
        "ic0",
        "in_replicated_execution",
        |c: Ctx<'_>| -> Result<i32, Error> {
            check(&c, "in_replicated_execution")?;
            Ok(i32::from(c.data().ctx.api.is_replicated()))
        },
    )?;
    l.func_wrap("ic0", "env_var_count", |c: Ctx<'_>| -> Result<i32, Error> {
        check(&c, "env_var_count")?;
        Ok(c.data().ctx.env_vars.len() as i32)
    })?;
    l.func_wrap(
        "ic0",
        "env_var_name_size",
        |c: Ctx<'_>, i: i32| -> Result<i32, Error> {
            check(&c, "env_var_name_size")?;
            let vars = &c.data().ctx.env_vars;
            let (n, _) = vars
                .get(i as usize)
                .ok_or_else(|| violation("ic0.env_var_name_size: index out of range"))?;
            Ok(n.len() as i32)
        },
    )?;
    l.func_wrap(
        "ic0",
        "env_var_name_copy",
        |mut c: Ctx<'_>, i: i32, dst: i32, off: i32, size: i32| {
            check(&c, "env_var_name_copy")?;
            let name = c
                .data()
                .ctx
                .env_vars
                .get(i as usize)
                .map(|(n, _)| n.clone());
            let name =
                name.ok_or_else(|| violation("ic0.env_var_name_copy: index out of range"))?;
            copy_out(
                &mut c,
                "env_var_name_copy",
                name.as_bytes(),
                dst as u32,
                off as u32,
                size as u32,
            )
        },
    )?;
    l.func_wrap(
        "ic0",
        "env_var_name_exists",
        |c: Ctx<'_>, src: i32, size: i32| -> Result<i32, Error> {
            check(&c, "env_var_name_exists")?;
            let name = read_mem(&c, src as u32, size as u32)?;
            Ok(i32::from(env_value(&c, &name).is_some()))
        },
    )?;
    l.func_wrap(
        "ic0",
        "env_var_value_size",
        |c: Ctx<'_>, src: i32, size: i32| -> Result<i32, Error> {
            check(&c, "env_var_value_size")?;
            let name = read_mem(&c, src as u32, size as u32)?;
            let v = env_value(&c, &name)
                .ok_or_else(|| violation("ic0.env_var_value_size: no such variable"))?;
            Ok(v.len() as i32)
        },
    )?;
    l.func_wrap(
        "ic0",
        "env_var_value_copy",
        |mut c: Ctx<'_>, src: i32, size: i32, dst: i32, off: i32, len: i32| {
            check(&c, "env_var_value_copy")?;
            let name = read_mem(&c, src as u32, size as u32)?;
            let v = env_value(&c, &name).map(str::to_owned);
            let v = v.ok_or_else(|| violation("ic0.env_var_value_copy: no such variable"))?;
            copy_out(
                &mut c,
                "env_var_value_copy",
                v.as_bytes(),
                dst as u32,
                off as u32,
                len as u32,
            )
        },
    )?;
    l.func_wrap(
        "ic0",
        "debug_print",
        |mut c: Ctx<'_>, src: i32, size: i32| {
            check(&c, "debug_print")?;
            let bytes = read_mem(&c, src as u32, size as u32)?;
            c.data_mut().ctx.logs.push(bytes);
            Ok(())
        },
    )?;
    l.func_wrap("ic0", "trap", |c: Ctx<'_>, src: i32, size: i32| {
        check(&c, "trap")?;
        let bytes = read_mem(&c, src as u32, size as u32)?;
        Err::<(), _>(trap(
            ErrorCode::CanisterCalledTrap,
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    })?;
    let _ = WASM_PAGE;
    Ok(())
}
