//! Rewrites a canister module so the engine can reach its internals: exports the function table,
//! memory and every mutable global (to snapshot and roll back state), and turns the `(start)`
//! function into an export the engine calls once at installation.

use std::collections::BTreeMap;
use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

/// Export name given to the module's function table.
pub(crate) const TABLE_EXPORT: &str = "__sim_table";
/// Export name given to the module's memory.
pub(crate) const MEMORY_EXPORT: &str = "__sim_memory";
/// Export name given to the module's `(start)` function.
pub(crate) const START_EXPORT: &str = "__sim_start";

/// Export name given to mutable global `index`.
pub(crate) fn global_export(index: u32) -> String {
    format!("__sim_global_{index}")
}

/// A module after instrumentation, with what the engine learned while rewriting it.
#[derive(Debug, Clone)]
pub struct Instrumented {
    /// The rewritten module.
    pub wasm: Vec<u8>,
    /// Indices of the mutable globals (all exported under [`global_export`]).
    pub mutable_globals: Vec<u32>,
    /// Whether the module has a memory.
    pub has_memory: bool,
    /// Whether the module has a function table.
    pub has_table: bool,
    /// Whether the module had a `(start)` function.
    pub has_start: bool,
    /// Total bytes of custom sections whose name starts with `icp:`.
    pub custom_sections_size: u64,
    /// The `icp:public <name>` and `icp:private <name>` sections, for `canister_metadata`.
    pub metadata: Metadata,
    /// Names of exported functions of the original module.
    pub exported_functions: Vec<String>,
    /// Number of globals (for the memory metrics).
    pub global_count: u32,
}

/// A module's metadata sections by name (without the `icp:public `/`icp:private ` prefix).
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    /// Readable by anyone.
    pub public: BTreeMap<String, Vec<u8>>,
    /// Readable by the canister's controllers.
    pub private: BTreeMap<String, Vec<u8>>,
}

fn read_leb_u32(bytes: &[u8], pos: &mut usize) -> Result<u32, String> {
    let mut result: u64 = 0;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(*pos).ok_or("truncated LEB128 number")?;
        *pos += 1;
        result |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 35 {
            return Err("LEB128 number too long".into());
        }
    }
    u32::try_from(result).map_err(|_| "LEB128 number out of range".into())
}

fn write_leb_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
}

fn write_export(out: &mut Vec<u8>, name: &str, kind: u8, index: u32) {
    write_leb_u32(out, name.len() as u32);
    out.extend_from_slice(name.as_bytes());
    out.push(kind);
    write_leb_u32(out, index);
}

/// Raw sections: (id, content range).
fn sections(wasm: &[u8]) -> Result<Vec<(u8, std::ops::Range<usize>)>, String> {
    if wasm.len() < 8 || &wasm[0..4] != b"\0asm" {
        return Err("not a wasm module (bad magic number)".into());
    }
    let mut pos = 8;
    let mut out = Vec::new();
    while pos < wasm.len() {
        let id = wasm[pos];
        pos += 1;
        let size = read_leb_u32(wasm, &mut pos)? as usize;
        let end = pos.checked_add(size).filter(|e| *e <= wasm.len());
        let end = end.ok_or("section runs past the end of the module")?;
        out.push((id, pos..end));
        pos = end;
    }
    Ok(out)
}

/// Instruments `wasm` (already validated by the caller's parser run) for the engine.
pub(crate) fn instrument(wasm: &[u8]) -> Result<Instrumented, String> {
    let mut imported_globals = 0u32;
    let mut imported_tables = 0u32;
    let mut imported_memories = 0u32;
    let mut mutable_globals = Vec::new();
    let mut global_count = 0u32;
    let mut has_table = false;
    let mut has_memory = false;
    let mut start = None;
    let mut custom_sections_size = 0u64;
    let mut metadata = Metadata::default();
    let mut exported_functions = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(reader) => {
                for import in reader {
                    let import = import.map_err(|e| e.to_string())?;
                    match import.ty {
                        TypeRef::Global(g) => {
                            if g.mutable {
                                mutable_globals.push(imported_globals);
                            }
                            imported_globals += 1;
                        }
                        TypeRef::Table(_) => imported_tables += 1,
                        TypeRef::Memory(_) => imported_memories += 1,
                        _ => {}
                    }
                }
            }
            Payload::TableSection(reader) => has_table |= reader.count() > 0,
            Payload::MemorySection(reader) => has_memory |= reader.count() > 0,
            Payload::GlobalSection(reader) => {
                for (i, global) in reader.into_iter().enumerate() {
                    let global = global.map_err(|e| e.to_string())?;
                    if global.ty.mutable {
                        mutable_globals.push(imported_globals + i as u32);
                    }
                    global_count += 1;
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(|e| e.to_string())?;
                    if export.kind == ExternalKind::Func {
                        exported_functions.push(export.name.to_string());
                    }
                }
            }
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::CustomSection(reader) if reader.name().starts_with("icp:") => {
                custom_sections_size += reader.data().len() as u64 + reader.name().len() as u64;
                let (name, data) = (reader.name(), reader.data().to_vec());
                if let Some(n) = name.strip_prefix("icp:public ") {
                    metadata.public.insert(n.to_string(), data);
                } else if let Some(n) = name.strip_prefix("icp:private ") {
                    metadata.private.insert(n.to_string(), data);
                }
            }
            _ => {}
        }
    }
    if imported_memories > 0 || imported_tables > 0 || imported_globals > 0 {
        return Err(
            "the module imports a memory, table or global; canisters may only import ic0 functions"
                .into(),
        );
    }
    let has_export = |name: &str| exported_functions.iter().any(|n| n == name);
    if has_export(TABLE_EXPORT) || has_export(START_EXPORT) {
        return Err("the module exports a name reserved by ic-sim (__sim_*)".into());
    }

    let mut new_exports = Vec::new();
    let mut added = 0u32;
    if has_table {
        write_export(&mut new_exports, TABLE_EXPORT, 0x01, 0);
        added += 1;
    }
    if has_memory {
        write_export(&mut new_exports, MEMORY_EXPORT, 0x02, 0);
        added += 1;
    }
    for &g in &mutable_globals {
        write_export(&mut new_exports, &global_export(g), 0x03, g);
        added += 1;
    }
    if let Some(func) = start {
        write_export(&mut new_exports, START_EXPORT, 0x00, func);
        added += 1;
    }

    let raw = sections(wasm)?;
    let mut out = Vec::with_capacity(wasm.len() + new_exports.len() + 16);
    out.extend_from_slice(&wasm[..8]);
    let mut emitted = false;
    let emit_exports = |out: &mut Vec<u8>, old: Option<&[u8]>| -> Result<(), String> {
        let mut content = Vec::new();
        let (old_count, old_entries) = match old {
            Some(bytes) => {
                let mut pos = 0;
                let count = read_leb_u32(bytes, &mut pos)?;
                (count, &bytes[pos..])
            }
            None => (0, &[][..]),
        };
        write_leb_u32(&mut content, old_count + added);
        content.extend_from_slice(old_entries);
        content.extend_from_slice(&new_exports);
        out.push(7);
        write_leb_u32(out, content.len() as u32);
        out.extend_from_slice(&content);
        Ok(())
    };
    for (id, range) in raw {
        match id {
            7 => {
                emit_exports(&mut out, Some(&wasm[range]))?;
                emitted = true;
            }
            8 => {} // the start function becomes an export
            _ => {
                if !emitted && id != 0 && id > 7 {
                    emit_exports(&mut out, None)?;
                    emitted = true;
                }
                out.push(id);
                write_leb_u32(&mut out, range.len() as u32);
                out.extend_from_slice(&wasm[range]);
            }
        }
    }
    if !emitted {
        emit_exports(&mut out, None)?;
    }
    Ok(Instrumented {
        wasm: out,
        mutable_globals,
        has_memory,
        has_table,
        has_start: start.is_some(),
        custom_sections_size,
        metadata,
        exported_functions,
        global_count: imported_globals + global_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_table_memory_mutable_globals_and_start() {
        let wasm = wat::parse_str(
            r#"(module
                (memory 1)
                (table 2 funcref)
                (global $sp (mut i32) (i32.const 42))
                (global $k i32 (i32.const 1))
                (func $init (global.set $sp (i32.const 7)))
                (start $init)
                (func (export "canister_update f")))"#,
        )
        .unwrap();
        let out = instrument(&wasm).unwrap();
        assert_eq!(out.mutable_globals, vec![0]);
        assert!(out.has_table && out.has_memory && out.has_start);
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, &out.wasm).unwrap();
        let names: Vec<_> = module.exports().map(|e| e.name().to_string()).collect();
        for name in [
            "canister_update f",
            TABLE_EXPORT,
            MEMORY_EXPORT,
            "__sim_global_0",
            START_EXPORT,
        ] {
            assert!(
                names.iter().any(|n| n == name),
                "{name} missing in {names:?}"
            );
        }
    }
}
