//! The dfx commands: `dfx start`, `dfx deploy` and the `dfx canister` subcommands.

use super::options::Options;
use super::project::{Interface, Method};
use super::replica::Replica;
use super::{json, Fatal, Mode, Session};
use candid::Principal;
use ic_management_canister_types::CanisterInstallMode;
use std::collections::BTreeSet;

impl Session {
    pub(super) fn dfx(&mut self, args: &[&str]) -> Result<String, Fatal> {
        match args {
            ["--version"] => Ok(format!("dfx {DFX_VERSION}")),
            ["start", rest @ ..] => {
                let opts = Options::parse(rest, &[("--background", false), ("--clean", false)])?;
                opts.positional(0)?;
                if !opts.has("--background") {
                    return Err(Fatal::script(
                        "`dfx start` without `--background` runs in the foreground and blocks the script",
                    ));
                }
                if self.replica.is_some() {
                    return Err(Fatal::script("the local replica is already running"));
                }
                if self.mode == Mode::Run {
                    self.replica = Some(Replica::start());
                }
                Ok("Replica started".into())
            }
            ["deploy", rest @ ..] => {
                let opts = Options::parse(
                    rest,
                    &[
                        ("--argument", true),
                        ("--upgrade-unchanged", false),
                        ("--with-cycles", true),
                        ("--yes", false),
                        ("-y", false),
                    ],
                )?;
                let name = opts.positional(1)?[0];
                let cycles = opts.cycles()?;
                let arg = opts.value("--argument");
                // The argument must fit the named canister; checked before anything is created.
                if arg.is_some() {
                    self.encode_init(name, arg)?;
                }
                // Like dfx: the canister and its dependencies, in name order, each created if
                // needed and installed (or upgraded) with the same argument.
                let mut output = Vec::new();
                for canister in self.with_dependencies(name)? {
                    output.push(self.create(&canister, cycles)?);
                    output.push(self.install(
                        &canister,
                        None,
                        arg,
                        opts.has("--upgrade-unchanged"),
                    )?);
                }
                Ok(output.join("\n"))
            }
            ["canister", rest @ ..] => self.dfx_canister(rest),
            _ => Err(Fatal::script(format!(
                "`dfx {}` is not supported by the walkthrough interpreter",
                args.join(" ")
            ))),
        }
    }

    fn dfx_canister(&mut self, args: &[&str]) -> Result<String, Fatal> {
        let Some((&sub, rest)) = args.split_first() else {
            return Err(Fatal::script("`dfx canister` needs a subcommand"));
        };
        match sub {
            "create" => {
                let opts = Options::parse(rest, &[("--all", false), ("--with-cycles", true)])?;
                let cycles = opts.cycles()?;
                let names: Vec<String> = if opts.has("--all") {
                    opts.positional(0)?;
                    self.project.canisters.keys().cloned().collect()
                } else {
                    vec![opts.positional(1)?[0].to_string()]
                };
                let mut output = Vec::new();
                for name in names {
                    output.push(self.create(&name, cycles)?);
                }
                Ok(output.join("\n"))
            }
            "id" => {
                let opts = Options::parse(rest, &[("--network", true)])?;
                local_network(&opts)?;
                let name = opts.positional(1)?[0];
                self.target(name).map(|id| id.to_text())
            }
            "update-settings" => {
                let opts = Options::parse(rest, &[("--add-controller", true)])?;
                let name = opts.positional(1)?[0];
                let controllers = opts.values("--add-controller");
                if controllers.is_empty() {
                    return Err(Fatal::script(
                        "only `dfx canister update-settings NAME --add-controller PRINCIPAL` is supported",
                    ));
                }
                let canister = self.id(name)?;
                for controller in controllers {
                    let principal = Principal::from_text(controller).map_err(|e| {
                        Fatal::script(format!("`{controller}` is not a principal: {e}"))
                    })?;
                    if let Some(replica) = self.replica()? {
                        replica
                            .add_controller(canister, principal)
                            .map_err(Fatal::Failed)?;
                    }
                }
                Ok(format!("Updated settings of {name}"))
            }
            "stop" => {
                let name = Options::parse(rest, &[])?.positional(1)?[0];
                let canister = self.target(name)?;
                let Some(replica) = self.replica()? else {
                    return Ok(String::new());
                };
                let waited = replica.stop(canister).map_err(Fatal::Failed)?;
                Ok(format!("Stopped {name} (after {waited} s)"))
            }
            "start" => {
                let name = Options::parse(rest, &[])?.positional(1)?[0];
                let canister = self.target(name)?;
                if let Some(replica) = self.replica()? {
                    replica.start_canister(canister).map_err(Fatal::Failed)?;
                }
                Ok(format!("Started {name}"))
            }
            "install" => {
                let opts = Options::parse(
                    rest,
                    &[
                        ("--mode", true),
                        ("-m", true),
                        ("--argument", true),
                        ("--upgrade-unchanged", false),
                        ("--yes", false),
                        ("-y", false),
                    ],
                )?;
                let name = opts.positional(1)?[0];
                let arg = opts.value("--argument");
                if arg.is_some() {
                    self.encode_init(name, arg)?;
                }
                let mode =
                    match opts.value("--mode").or(opts.value("-m")) {
                        Some("install") => Some(CanisterInstallMode::Install),
                        Some("reinstall") => Some(CanisterInstallMode::Reinstall),
                        Some("upgrade") => Some(CanisterInstallMode::Upgrade(None)),
                        Some("auto") => None,
                        Some(other) => {
                            return Err(Fatal::script(format!("unknown install mode `{other}`")))
                        }
                        None => return Err(Fatal::script(
                            "give `--mode` explicitly (its default differs between dfx versions)",
                        )),
                    };
                self.install(name, mode, arg, opts.has("--upgrade-unchanged"))
            }
            "call" => {
                let opts = Options::parse(
                    rest,
                    &[
                        ("--query", false),
                        ("--update", false),
                        ("--argument-file", true),
                        ("--output", true),
                        ("--network", true),
                        ("--candid", true),
                    ],
                )?;
                local_network(&opts)?;
                let usage = "usage: dfx canister call [--query|--update] [--output idl|pp|json] [--candid FILE] NAME METHOD [ARGUMENT | --argument-file FILE]";
                let (canister, method, inline) = match opts.positional.as_slice() {
                    [canister, method] => (*canister, *method, None),
                    [canister, method, arg] => (*canister, *method, Some(*arg)),
                    _ => return Err(Fatal::script(usage)),
                };
                let from_file = match (inline, opts.value("--argument-file")) {
                    (Some(_), Some(_)) => return Err(Fatal::script(usage)),
                    (_, Some(file)) => {
                        Some(std::fs::read_to_string(self.path(file)).map_err(|e| {
                            Fatal::Failed(format!("cannot read the argument file {file}: {e}"))
                        })?)
                    }
                    (_, None) => None,
                };
                let output = match opts.value("--output") {
                    None | Some("idl" | "pp") => Output::Candid,
                    Some("json") => Output::Json,
                    Some(other) => {
                        return Err(Fatal::script(format!(
                            "`--output {other}`: only idl, pp and json are supported"
                        )))
                    }
                };
                // Like dfx: `--candid` types the call instead of the canister's own interface.
                let candid = opts
                    .value("--candid")
                    .map(|file| Interface::load(&self.path(file)).map_err(Fatal::Failed))
                    .transpose()?;
                let arg = inline.or(from_file.as_deref());
                let forced = match (opts.has("--query"), opts.has("--update")) {
                    (true, true) => {
                        return Err(Fatal::script("`--query` and `--update` exclude each other"))
                    }
                    (true, false) => Some(CallType::Query),
                    (false, true) => Some(CallType::Update),
                    (false, false) => None,
                };
                if canister == MANAGEMENT_CANISTER {
                    if forced == Some(CallType::Query) {
                        return Err(Fatal::script(
                            "`--query`: the management canister's methods are updates",
                        ));
                    }
                    return self.call_management(candid.as_ref(), method, arg, output);
                }
                let name = self.canister_name(canister)?;
                self.call(&name, candid.as_ref(), method, arg, forced, output)
            }
            "snapshot" => self.dfx_snapshot(rest),
            _ => Err(Fatal::script(format!(
                "`dfx canister {sub}` is not supported by the walkthrough interpreter"
            ))),
        }
    }

    /// `name` and the canisters it depends on in dfx.json (transitively), in name order.
    fn with_dependencies(&self, name: &str) -> Result<BTreeSet<String>, Fatal> {
        let mut found = BTreeSet::new();
        let mut pending = vec![name.to_string()];
        while let Some(current) = pending.pop() {
            let canister = self.project.canister(&current).map_err(Fatal::Script)?;
            pending.extend(
                canister
                    .dependencies
                    .iter()
                    .filter(|d| !found.contains(*d))
                    .cloned(),
            );
            found.insert(current);
        }
        Ok(found)
    }

    fn create(&mut self, name: &str, cycles: u128) -> Result<String, Fatal> {
        self.project.canister(name).map_err(Fatal::Script)?;
        if let Some(id) = self.ids.get(name) {
            return Ok(format!("{name} canister was already created: {id}"));
        }
        let id = self
            .replica()?
            .expect("check mode knows every id")
            .create(cycles);
        self.ids.insert(name.to_string(), id);
        Ok(format!("{name} canister created with canister id: {id}"))
    }

    /// `name`'s install argument from Candid text.
    fn encode_init(&self, name: &str, arg: Option<&str>) -> Result<Vec<u8>, Fatal> {
        self.project
            .canister(name)
            .map_err(Fatal::Script)?
            .interface
            .encode_init(arg)
            .map_err(|e| Fatal::script(format!("{name}: {e}")))
    }

    /// Installs `name`'s module; `mode` `None` is dfx's auto (install when empty, else
    /// upgrade). Like dfx, an upgrade to the module already installed is skipped unless
    /// `upgrade_unchanged`, and the argument is only encoded when code is installed.
    fn install(
        &mut self,
        name: &str,
        mode: Option<CanisterInstallMode>,
        arg: Option<&str>,
        upgrade_unchanged: bool,
    ) -> Result<String, Fatal> {
        let path = &self.project.canister(name).map_err(Fatal::Script)?.wasm;
        let wasm = std::fs::read(path).map_err(|e| {
            Fatal::script(format!(
                "cannot read {}: {e}; build the canisters first with `bash scripts/build-canisters.sh`",
                path.display()
            ))
        })?;
        let new_hash = sha256(&wasm);
        let id = self.id(name)?;
        let installed = match self.replica()? {
            Some(replica) => replica.module_hash(id).map_err(Fatal::Failed)?,
            // Check mode: a canister deployed earlier in the script holds this very build.
            None => self
                .deployed
                .iter()
                .any(|d| d == name)
                .then(|| new_hash.to_vec()),
        };
        let mode = mode.unwrap_or(match installed {
            Some(_) => CanisterInstallMode::Upgrade(None),
            None => CanisterInstallMode::Install,
        });
        let verb = match mode {
            CanisterInstallMode::Install => "Installed",
            CanisterInstallMode::Reinstall => "Reinstalled",
            CanisterInstallMode::Upgrade(_)
                if installed.as_deref() == Some(&new_hash[..]) && !upgrade_unchanged =>
            {
                return Ok(format!(
                    "Module hash {} is already installed (no upgrade without --upgrade-unchanged).",
                    hex(&new_hash)
                ))
            }
            CanisterInstallMode::Upgrade(_) => "Upgraded",
        };
        let arg = self.encode_init(name, arg)?;
        match self.replica()? {
            Some(replica) => replica
                .install(id, mode, wasm, arg)
                .map_err(Fatal::Failed)?,
            None => self.deployed.push(name.to_string()),
        }
        Ok(format!(
            "{verb} code for canister {name}, with canister ID {id}"
        ))
    }

    /// Calls `method_name` of canister `name`, typed with `candid` if given, else with the
    /// canister's interface; as `forced` says (`--query`, `--update`), else as its type says.
    fn call(
        &mut self,
        name: &str,
        candid: Option<&Interface>,
        method_name: &str,
        arg: Option<&str>,
        forced: Option<CallType>,
        output: Output,
    ) -> Result<String, Fatal> {
        let canister = self.project.canister(name).map_err(Fatal::Script)?;
        let interface = candid.unwrap_or(&canister.interface);
        let method = interface.method(method_name).map_err(Fatal::Script)?;
        let bytes = interface
            .encode_args(&method, arg)
            .map_err(|e| Fatal::script(format!("{name}.{method_name}: {e}")))?;
        if forced == Some(CallType::Query) && !method.is_query() {
            return Err(Fatal::script(format!(
                "`--query` on `{method_name}`, an update method"
            )));
        }
        let as_query = forced.map_or(method.is_query(), |t| t == CallType::Query);
        let id = self.id(name)?;
        let Some(replica) = self.replica()? else {
            return Ok(String::new());
        };
        let reply = if as_query {
            replica.query(id, method_name, bytes)
        } else {
            replica.update(id, method_name, bytes)
        }
        .map_err(Fatal::Failed)?;
        present(interface, &method, &reply, output)
    }

    /// The id of `canister`, given by name (of a canister created here) or by id; like dfx, an
    /// id stands for itself.
    pub(super) fn target(&self, canister: &str) -> Result<Principal, Fatal> {
        Principal::from_text(canister).or_else(|_| self.id(canister))
    }

    /// The dfx.json name of `canister`, given by name or by id (of a canister created here).
    fn canister_name(&self, canister: &str) -> Result<String, Fatal> {
        match Principal::from_text(canister) {
            Ok(id) => self
                .name_of(id)
                .ok_or_else(|| Fatal::Failed(format!("no canister {id} on the local replica"))),
            Err(_) => self
                .project
                .canister(canister)
                .map(|_| canister.to_string())
                .map_err(Fatal::Script),
        }
    }
}

/// The dfx release the interpreter plays: the first with `dfx canister snapshot download`.
const DFX_VERSION: &str = "0.29.0";

/// The management canister's id as dfx takes it.
const MANAGEMENT_CANISTER: &str = "aaaaa-aa";

/// `reply` to `method` as `dfx canister call` prints it with `output`.
pub(super) fn present(
    interface: &Interface,
    method: &Method,
    reply: &[u8],
    output: Output,
) -> Result<String, Fatal> {
    let reply = interface
        .decode_reply(method, reply)
        .map_err(Fatal::Script)?;
    Ok(match output {
        Output::Candid => reply.to_string(),
        Output::Json => json::reply(&reply),
    })
}

/// How `dfx canister call` is told to send a call (`--query`, `--update`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum CallType {
    Query,
    Update,
}

/// How `dfx canister call` prints a reply (`--output`).
#[derive(Clone, Copy)]
pub(super) enum Output {
    /// Candid text (`idl` and `pp`, the default).
    Candid,
    /// JSON (`json`).
    Json,
}

/// `--network`: only the local replica, which the interpreter plays, is there.
fn local_network(opts: &Options) -> Result<(), Fatal> {
    match opts.value("--network") {
        None | Some("local") => Ok(()),
        Some(other) => Err(Fatal::script(format!(
            "`--network {other}`: the interpreter plays the local replica only"
        ))),
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// `bytes` in lowercase hex, as dfx prints hashes and snapshot ids.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
