//! `ic0.stable64_*` and the 32-bit `ic0.stable_*`: the canister's stable memory.

use super::{charge, read_mem, violation, write_mem, Ctx};
use crate::wasm::stable::MAX_STABLE_PAGES;
use wasmi::Error;

/// Largest stable memory reachable through the 32-bit API, in pages (4 GiB).
const MAX_STABLE32_PAGES: u64 = 65536;

fn ensure_in_bounds(c: &Ctx<'_>, name: &str, offset: u64, size: u64) -> Result<(), Error> {
    let stable = &c.data().stable;
    if stable.in_bounds(offset, size) {
        return Ok(());
    }
    Err(violation(format!(
        "ic0.{name}: stable memory out of bounds (offset {offset} + size {size} > {} bytes)",
        stable.size_bytes()
    )))
}

fn wasm_address(address: u64) -> Result<u32, Error> {
    u32::try_from(address).map_err(|_| violation("pointer out of range"))
}

fn write(c: &mut Ctx<'_>, name: &str, offset: u64, src: u64, size: u64) -> Result<(), Error> {
    ensure_in_bounds(c, name, offset, size)?;
    let bytes = read_mem(c, wasm_address(src)?, size as u32)?;
    charge(c, size)?;
    c.data_mut().stable.write(offset, &bytes);
    Ok(())
}

fn read(c: &mut Ctx<'_>, name: &str, dst: u64, offset: u64, size: u64) -> Result<(), Error> {
    ensure_in_bounds(c, name, offset, size)?;
    let mut buf = vec![0u8; size as usize];
    c.data().stable.read(offset, &mut buf);
    charge(c, size)?;
    write_mem(c, wasm_address(dst)?, &buf)
}

fn grow(c: &mut Ctx<'_>, new_pages: u64, max: u64) -> i64 {
    let old = c.data().stable.size_pages();
    match old.checked_add(new_pages) {
        Some(total) if total <= max => {
            c.data_mut().stable.grow(new_pages);
            old as i64
        }
        _ => -1,
    }
}

ic0! {
    fn stable64_size(c) -> i64 [* s] {
        Ok(c.data().stable.size_pages() as i64)
    }

    fn stable64_grow(c, pages: i64) -> i64 [* s] {
        Ok(grow(&mut c, pages as u64, MAX_STABLE_PAGES))
    }

    fn stable64_write(c, offset: i64, src: i64, size: i64) [* s] {
        write(&mut c, "stable64_write", offset as u64, src as u64, size as u64)
    }

    fn stable64_read(c, dst: i64, offset: i64, size: i64) [* s] {
        read(&mut c, "stable64_read", dst as u64, offset as u64, size as u64)
    }

    fn stable_size(c) -> i32 [* s] {
        let pages = c.data().stable.size_pages();
        if pages > MAX_STABLE32_PAGES {
            return Err(violation(
                "ic0.stable_size: stable memory exceeds 4 GiB; use ic0.stable64_size",
            ));
        }
        Ok(pages as i32)
    }

    fn stable_grow(c, pages: i32) -> i32 [* s] {
        Ok(grow(&mut c, pages as u32 as u64, MAX_STABLE32_PAGES) as i32)
    }

    fn stable_write(c, offset: i32, src: i32, size: i32) [* s] {
        let (offset, src, size) = (offset as u32, src as u32, size as u32);
        write(&mut c, "stable_write", offset.into(), src.into(), size.into())
    }

    fn stable_read(c, dst: i32, offset: i32, size: i32) [* s] {
        let (dst, offset, size) = (dst as u32, offset as u32, size as u32);
        read(&mut c, "stable_read", dst.into(), offset.into(), size.into())
    }
}
