//! Compiles each canister module once and caches it by the SHA-256 of its bytes.

use super::instrument::{instrument, Instrumented};
use crate::system_api::{self, availability, HostState};
use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::sync::Arc;
use wasmi::{Config, Engine, Linker};

/// Largest accepted (decompressed) module.
pub const MAX_WASM_BYTES: usize = 100 * 1024 * 1024;

/// Why a module cannot be installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModuleError {
    /// The bytes are neither wasm nor gzipped wasm.
    #[error("Wasm module is not valid: it does not start with the wasm magic bytes \\0asm (or the gzip magic 1f 8b)")]
    NotWasm,
    /// Decompressing a gzipped module failed.
    #[error("Wasm module is not valid: failed to decompress the gzipped module: {0}")]
    Gzip(String),
    /// The module does not parse or validate.
    #[error("Wasm module is not valid: {0}")]
    Invalid(String),
    /// An import the engine does not provide.
    #[error("Wasm module has an invalid import section. Module imports function '{name}' from '{module}' that is not exported by the runtime.")]
    UnknownImport {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
    /// A method exported under two kinds.
    #[error("Wasm module is not valid: duplicate method '{0}' exported as more than one of update, query and composite query")]
    DuplicateMethod(String),
}

/// The entry points a canister module exports.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    /// `canister_update <name>`.
    pub updates: BTreeSet<String>,
    /// `canister_query <name>`.
    pub queries: BTreeSet<String>,
    /// `canister_composite_query <name>`.
    pub composite_queries: BTreeSet<String>,
    /// `canister_init`.
    pub init: bool,
    /// `canister_pre_upgrade`.
    pub pre_upgrade: bool,
    /// `canister_post_upgrade`.
    pub post_upgrade: bool,
    /// `canister_heartbeat`.
    pub heartbeat: bool,
    /// `canister_global_timer`.
    pub global_timer: bool,
    /// `canister_inspect_message`.
    pub inspect_message: bool,
    /// `canister_on_low_wasm_memory`.
    pub on_low_wasm_memory: bool,
}

/// A compiled, instrumented canister module.
#[derive(Debug)]
pub struct CanisterModule {
    /// The compiled module.
    pub module: wasmi::Module,
    /// SHA-256 of the module as submitted (`module_hash`).
    pub hash: [u8; 32],
    /// Size of the module as submitted.
    pub wasm_size: u64,
    /// What instrumentation learned.
    pub info: Instrumented,
    /// The entry points.
    pub exports: Exports,
}

/// The engine, its linker and the compiled modules.
pub struct ModuleCache {
    engine: Engine,
    linker: Linker<HostState>,
    modules: HashMap<[u8; 32], Arc<CanisterModule>>,
}

impl std::fmt::Debug for ModuleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleCache")
            .field("modules", &self.modules.len())
            .finish()
    }
}

impl Default for ModuleCache {
    fn default() -> Self {
        Self::new()
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// Decompresses a gzipped module (magic 1f 8b); returns other bytes unchanged.
pub fn decompress(wasm: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, ModuleError> {
    if wasm.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(wasm)
            .take(MAX_WASM_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| ModuleError::Gzip(e.to_string()))?;
        if out.len() > MAX_WASM_BYTES {
            return Err(ModuleError::Invalid(format!(
                "the decompressed module exceeds {MAX_WASM_BYTES} bytes"
            )));
        }
        Ok(out.into())
    } else if wasm.starts_with(b"\0asm") {
        Ok(wasm.into())
    } else {
        Err(ModuleError::NotWasm)
    }
}

fn exports_of(names: &[String]) -> Result<Exports, ModuleError> {
    let mut e = Exports::default();
    for name in names {
        if let Some(m) = name.strip_prefix("canister_update ") {
            e.updates.insert(m.to_string());
        } else if let Some(m) = name.strip_prefix("canister_query ") {
            e.queries.insert(m.to_string());
        } else if let Some(m) = name.strip_prefix("canister_composite_query ") {
            e.composite_queries.insert(m.to_string());
        } else {
            match name.as_str() {
                "canister_init" => e.init = true,
                "canister_pre_upgrade" => e.pre_upgrade = true,
                "canister_post_upgrade" => e.post_upgrade = true,
                "canister_heartbeat" => e.heartbeat = true,
                "canister_global_timer" => e.global_timer = true,
                "canister_inspect_message" => e.inspect_message = true,
                "canister_on_low_wasm_memory" => e.on_low_wasm_memory = true,
                _ => {}
            }
        }
    }
    for m in &e.updates {
        if e.queries.contains(m) || e.composite_queries.contains(m) {
            return Err(ModuleError::DuplicateMethod(m.clone()));
        }
    }
    for m in &e.queries {
        if e.composite_queries.contains(m) {
            return Err(ModuleError::DuplicateMethod(m.clone()));
        }
    }
    Ok(e)
}

impl ModuleCache {
    /// An empty cache with a fuel-metering engine.
    pub fn new() -> Self {
        let mut config = Config::default();
        config.consume_fuel(true);
        let engine = Engine::new(&config);
        let linker = system_api::linker(&engine);
        Self {
            engine,
            linker,
            modules: HashMap::new(),
        }
    }

    /// The wasmi engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The System API linker.
    pub fn linker(&self) -> &Linker<HostState> {
        &self.linker
    }

    /// Number of cached modules.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The compiled module for `wasm` (raw or gzipped), compiling it on first use.
    pub fn get_or_compile(&mut self, wasm: &[u8]) -> Result<Arc<CanisterModule>, ModuleError> {
        let hash = sha256(wasm);
        if let Some(m) = self.modules.get(&hash) {
            return Ok(m.clone());
        }
        let raw = decompress(wasm)?;
        let info = instrument(&raw).map_err(ModuleError::Invalid)?;
        let module = wasmi::Module::new(&self.engine, &info.wasm[..])
            .map_err(|e| ModuleError::Invalid(e.to_string()))?;
        for import in module.imports() {
            let known = import.module() == "ic0"
                && matches!(import.ty(), wasmi::ExternType::Func(_))
                && availability::allowed_in(import.name()).is_some();
            if !known {
                return Err(ModuleError::UnknownImport {
                    module: import.module().to_string(),
                    name: import.name().to_string(),
                });
            }
        }
        let exports = exports_of(&info.exported_functions)?;
        let compiled = Arc::new(CanisterModule {
            module,
            hash,
            wasm_size: wasm.len() as u64,
            info: Instrumented {
                wasm: Vec::new(),
                ..info
            },
            exports,
        });
        self.modules.insert(hash, compiled.clone());
        Ok(compiled)
    }
}
