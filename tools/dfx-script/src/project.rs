//! The dfx project: canister names from `dfx.json`, their wasm files and Candid interfaces, and
//! Candid text arguments encoded the way dfx does (typed against the `.did`), but stricter: a
//! record field the type does not have is an error, not silently dropped.

use candid::types::internal::{FuncMode, Function};
use candid::types::{Type, TypeInner};
use candid::{IDLArgs, IDLValue, TypeEnv};
use candid_parser::syntax::IDLTypes;
use candid_parser::typing::ast_to_type;
use candid_parser::utils::{instantiate_candid, CandidSource};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A canister as `dfx.json` declares it.
pub struct Canister {
    /// The module to install (`wasm`).
    pub wasm: PathBuf,
    /// Canisters deployed with it (`dependencies`).
    pub dependencies: Vec<String>,
    pub interface: Interface,
}

/// The canisters of `dfx.json`, by name (dfx orders them by name too).
pub struct Project {
    pub canisters: BTreeMap<String, Canister>,
}

impl Project {
    /// Reads `<root>/dfx.json` and every canister's `.did`.
    pub fn load(root: &Path) -> Result<Project, String> {
        let path = root.join("dfx.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
        let entries = json["canisters"]
            .as_object()
            .ok_or("dfx.json has no `canisters` object")?;
        let mut canisters = BTreeMap::new();
        for (name, entry) in entries {
            let field = |key: &str| {
                entry[key]
                    .as_str()
                    .map(|p| root.join(p))
                    .ok_or_else(|| format!("dfx.json: canister `{name}` has no `{key}` path"))
            };
            let dependencies = entry["dependencies"]
                .as_array()
                .map(|deps| {
                    deps.iter()
                        .filter_map(|d| d.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            canisters.insert(
                name.clone(),
                Canister {
                    wasm: field("wasm")?,
                    dependencies,
                    interface: Interface::load(&field("candid")?)?,
                },
            );
        }
        Ok(Project { canisters })
    }

    /// The canister called `name`.
    pub fn canister(&self, name: &str) -> Result<&Canister, String> {
        self.canisters.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.canisters.keys().map(String::as_str).collect();
            format!(
                "`{name}` is not a canister of dfx.json (it has {})",
                known.join(", ")
            )
        })
    }
}

/// A method's Candid signature.
pub struct Method<'a> {
    pub name: String,
    pub function: &'a Function,
}

impl Method<'_> {
    /// Whether the method is a (composite) query.
    pub fn is_query(&self) -> bool {
        self.function
            .modes
            .iter()
            .any(|m| matches!(m, FuncMode::Query | FuncMode::CompositeQuery))
    }
}

/// A parsed `.did` file.
pub struct Interface {
    file: String,
    env: TypeEnv,
    init: Vec<Type>,
    service: Type,
}

impl Interface {
    /// Parses and type-checks the `.did` at `path`.
    pub fn load(path: &Path) -> Result<Interface, String> {
        let (init, (env, service)) = instantiate_candid(CandidSource::File(path))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Interface {
            file: file_name(path),
            env,
            init,
            service,
        })
    }

    /// The `.did` at `path` with `types` (Candid text such as `(opt LoadInit)`, over the types
    /// the file defines) as its init argument types, as `didc encode -d FILE -t TYPES` sees it.
    pub fn with_init_types(path: &Path, types: &str) -> Result<Interface, String> {
        let (env, service) = CandidSource::File(path)
            .load()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let parsed: IDLTypes = types
            .parse()
            .map_err(|e| format!("`{types}` are not Candid types: {e}"))?;
        let init = parsed
            .args
            .iter()
            .map(|arg| ast_to_type(&env, &arg.typ))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("`{types}` over {}: {e}", path.display()))?;
        Ok(Interface {
            file: file_name(path),
            env,
            init,
            service: service.unwrap_or_else(|| TypeInner::Service(Vec::new()).into()),
        })
    }

    /// The method called `name`.
    pub fn method(&self, name: &str) -> Result<Method<'_>, String> {
        let methods = self
            .env
            .as_service(&self.service)
            .map_err(|e| e.to_string())?;
        let (_, ty) = methods
            .iter()
            .find(|(m, _)| m == name)
            .ok_or_else(|| format!("{} has no method `{name}`", self.file))?;
        let function = self.env.as_func(ty).map_err(|e| e.to_string())?;
        Ok(Method {
            name: name.to_string(),
            function,
        })
    }

    /// The install or upgrade argument: `text` (Candid text) typed against the init types.
    pub fn encode_init(&self, text: Option<&str>) -> Result<Vec<u8>, String> {
        self.encode(text, &self.init)
            .map_err(|e| format!("the init argument does not fit {}: {e}", self.file))
    }

    /// The argument of `method`: `text` (Candid text) typed against its argument types.
    pub fn encode_args(&self, method: &Method, text: Option<&str>) -> Result<Vec<u8>, String> {
        self.encode(text, &method.function.args).map_err(|e| {
            format!(
                "the argument does not fit `{}` in {}: {e}",
                method.name, self.file
            )
        })
    }

    /// The reply of `method`, typed as the interface declares it.
    pub fn decode_reply(&self, method: &Method, bytes: &[u8]) -> Result<IDLArgs, String> {
        IDLArgs::from_bytes_with_types(bytes, &self.env, &method.function.rets)
            .map_err(|e| format!("the reply does not decode as {}: {e}", self.file))
    }

    fn encode(&self, text: Option<&str>, types: &[Type]) -> Result<Vec<u8>, String> {
        let signature = format!(
            "({})",
            types
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let args = match text {
            Some(text) => {
                candid_parser::parse_idl_args(text).map_err(|e| format!("not Candid text: {e}"))?
            }
            None => IDLArgs { args: Vec::new() },
        };
        if args.args.len() > types.len() {
            return Err(format!(
                "{} values given, the type {signature} takes {}",
                args.args.len(),
                types.len()
            ));
        }
        for (value, ty) in args.args.iter().zip(types) {
            self.known_fields(value, ty)
                .map_err(|e| format!("{e} (type {signature})"))?;
        }
        let typed = args
            .annotate_types(true, &self.env, types)
            .map_err(|e| format!("{e} (type {signature})"))?;
        typed
            .to_bytes_with_types(&self.env, types)
            .map_err(|e| format!("{e} (type {signature})"))
    }

    /// Fails on a record field `ty` does not declare (Candid's own typing drops those).
    fn known_fields(&self, value: &IDLValue, ty: &Type) -> Result<(), String> {
        let name = match ty.as_ref() {
            TypeInner::Var(name) => format!("record type `{name}`"),
            _ => "the record".to_string(),
        };
        let ty = self.env.trace_type(ty).map_err(|e| e.to_string())?;
        match (value, ty.as_ref()) {
            (IDLValue::Opt(inner), TypeInner::Opt(t)) => self.known_fields(inner, t),
            (IDLValue::Vec(items), TypeInner::Vec(t)) => {
                items.iter().try_for_each(|v| self.known_fields(v, t))
            }
            (IDLValue::Record(fields), TypeInner::Record(declared)) => {
                for field in fields {
                    let Some(decl) = declared.iter().find(|d| *d.id == field.id) else {
                        let names: Vec<String> =
                            declared.iter().map(|d| d.id.to_string()).collect();
                        return Err(format!(
                            "`{}` is not a field of {name} (its fields: {})",
                            field.id,
                            names.join(", ")
                        ));
                    };
                    self.known_fields(&field.val, &decl.ty)?;
                }
                Ok(())
            }
            (IDLValue::Variant(v), TypeInner::Variant(declared)) => {
                match declared.iter().find(|d| *d.id == v.0.id) {
                    Some(decl) => self.known_fields(&v.0.val, &decl.ty),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }
}

/// The file name of `path`, for messages.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into(),
    )
}
