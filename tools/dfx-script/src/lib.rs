//! Runs `scripts/dfx-walkthrough.sh`, the by-hand story for dfx users, against a PocketIC
//! instance, so the walkthrough is tested and cannot rot.
//!
//! It interprets exactly the subset of bash and dfx the walkthrough uses (`lex` for the shell
//! syntax, `dfx` and `http` for the commands, `replica` for the PocketIC side); anything else
//! fails, naming its line, so the script cannot grow untested commands. [`check`] runs the same
//! checks without a replica, for the dfx snippets of the READMEs. Candid arguments are typed against the `.did` files `dfx.json` names,
//! as dfx types them, and stricter: a record field the type lacks is an error. Comments right
//! below a command check it:
//!
//! - `# expect: TEXT`: the command succeeds and its output (a reply as Candid text, a page
//!   fetched with curl) contains TEXT; runs of whitespace compare as one space.
//! - `# expect-error: TEXT`: the command fails with an error containing TEXT; the command must
//!   end with `|| true`, or bash's `set -e` would stop a real run there.
//!
//! Supported: `set -e…`, `echo`, `sleep N` (N seconds of IC time, one round a second), `curl`
//! of `http://<canister>.raw.localhost:4943/<path>` (the canister's `http_request`; status 200
//! required), `NAME=value`, `$NAME`, `${NAME}`, `$(dfx canister id NAME)`, `|| true`, and
//! `dfx start --background`, `dfx deploy NAME`, `dfx --version` (0.29.0), and `dfx canister`
//! `create`, `id`, `install`, `update-settings --add-controller`, `stop`, `start`, `snapshot
//! create`, `snapshot download` and `call` (`--output json`, `--argument-file`, `--candid`; the
//! management canister `aaaaa-aa` with `--candid`). `bash scripts/NAME.sh ARGS` runs one of the
//! project's scripts with real bash, the very script operators run, but its `dfx`, `didc encode`
//! and `sleep` are this interpreter's (`shell`): they reach the same emulated replica, and `sleep`
//! moves its time, so what the script waits for happens; a command the interpreter does not
//! support fails the run.

mod dfx;
mod didc;
mod expect;
mod http;
mod json;
mod lex;
mod management;
mod options;
mod project;
mod replica;
mod shell;
mod snapshot;

pub use didc::encode as didc_encode;
pub use expect::verify;
pub use lex::{check_set_flags, parse, Body, Expect, Part, Statement, Word};

use candid::Principal;
use project::Project;
use replica::Replica;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// A failure, with the script line it happened on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    pub line: usize,
    pub message: String,
}

impl ScriptError {
    pub fn new(line: usize, message: impl Into<String>) -> ScriptError {
        ScriptError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// One executed statement: where it was, what it was, what it printed.
#[derive(Clone, Debug)]
pub struct Step {
    pub line: usize,
    /// Seconds of IC time since `dfx start` when the statement finished.
    pub at_secs: u64,
    pub command: String,
    /// Output on success, or the error a tolerated (`|| true`) failure printed.
    pub output: String,
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    pub steps: Vec<Step>,
    /// Expectations checked (and met).
    pub checks: usize,
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            writeln!(f, "{:>4} {:>5}s  {}", step.line, step.at_secs, step.command)?;
            for line in step.output.lines() {
                writeln!(f, "        {line}")?;
            }
        }
        Ok(())
    }
}

/// A failed run: the error and what ran before it.
#[derive(Debug)]
pub struct Failure {
    pub error: ScriptError,
    pub transcript: Transcript,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.transcript, self.error)
    }
}

/// Runs `script` in the dfx project at `root` against a PocketIC instance started by its
/// `dfx start`, checking its expectations.
pub fn run(script: &str, root: &Path) -> Result<Transcript, Failure> {
    execute(script, root, Mode::Run)
}

/// Checks `script` without a replica, for snippets in the documentation: the syntax, the
/// commands, and every Candid argument against its `.did`. Every canister of dfx.json has an id
/// from the start; nothing is called and expectations are not evaluated.
pub fn check(script: &str, root: &Path) -> Result<Transcript, Failure> {
    execute(script, root, Mode::Check)
}

/// Whether commands reach a replica.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Run,
    Check,
}

fn execute(script: &str, root: &Path, mode: Mode) -> Result<Transcript, Failure> {
    let project = Project::load(root).map_err(|message| Failure {
        error: ScriptError::new(0, message),
        transcript: Transcript::default(),
    })?;
    let ids = match mode {
        Mode::Run => BTreeMap::new(),
        Mode::Check => project
            .canisters
            .keys()
            .zip(1u8..)
            .map(|(name, i)| (name.clone(), Principal::from_slice(&[0xca, 0xfe, i])))
            .collect(),
    };
    let mut session = Session {
        mode,
        cwd: root.to_path_buf(),
        project,
        replica: None,
        vars: HashMap::new(),
        ids,
        deployed: Vec::new(),
        transcript: Transcript::default(),
    };
    let result = parse(script).and_then(|statements| {
        statements
            .iter()
            .try_for_each(|statement| session.statement(statement))
    });
    match result {
        Ok(()) => Ok(session.transcript),
        Err(error) => Err(Failure {
            error,
            transcript: session.transcript,
        }),
    }
}

/// The interpreter's state: variables, the replica once started, canister ids by name.
struct Session {
    mode: Mode,
    /// The working directory: the dfx project's, or while a script runs, the script's for the
    /// commands it runs. Relative paths start there.
    cwd: PathBuf,
    project: Project,
    replica: Option<Replica>,
    vars: HashMap<String, String>,
    ids: BTreeMap<String, Principal>,
    /// In check mode: canisters deployed so far (a later deploy without argument is an
    /// unchanged upgrade, skipped as dfx does).
    deployed: Vec<String>,
    transcript: Transcript,
}

impl Session {
    fn statement(&mut self, statement: &Statement) -> Result<(), ScriptError> {
        let line = statement.line;
        let at = |message: String| ScriptError::new(line, message);
        match &statement.body {
            Body::Assign { name, value } => {
                if !statement.expects.is_empty() {
                    return Err(at("an assignment cannot carry expectations".into()));
                }
                let value = self.expand(value).map_err(at)?;
                self.record(line, format!("{name}={value}"), String::new());
                self.vars.insert(name.clone(), value);
                Ok(())
            }
            Body::Command { words, or_true } => {
                let mut args = Vec::new();
                for word in words {
                    args.push(self.expand(word).map_err(at)?);
                }
                statement.check_failure_tolerated(*or_true)?;
                let shown = args.join(" ");
                let outcome = match self.command(&args) {
                    Ok(output) => {
                        self.record(line, shown, output.clone());
                        Ok(output)
                    }
                    Err(Fatal::Script(message)) => return Err(at(message)),
                    Err(Fatal::Failed(error)) if !or_true => {
                        return Err(at(format!("`{shown}` failed: {error}")))
                    }
                    Err(Fatal::Failed(error)) => {
                        self.record(line, format!("{shown} || true"), format!("Error: {error}"));
                        Err(error)
                    }
                };
                if self.mode == Mode::Run {
                    self.transcript.checks += verify(
                        &statement.expects,
                        outcome.as_deref().map_err(String::as_str),
                    )
                    .map_err(at)?;
                }
                Ok(())
            }
        }
    }

    fn record(&mut self, line: usize, command: String, output: String) {
        let at_secs = self.replica.as_ref().map_or(0, Replica::elapsed_secs);
        self.transcript.steps.push(Step {
            line,
            at_secs,
            command,
            output,
        });
    }

    /// A word after expansion.
    fn expand(&mut self, word: &Word) -> Result<String, String> {
        let vars = self.vars.clone();
        word.expand(&vars, &mut |words| self.substitute(words))
    }

    /// `$(...)`: only `dfx canister id NAME` is supported.
    fn substitute(&mut self, words: &[Word]) -> Result<String, String> {
        let mut args = Vec::new();
        for word in words {
            args.push(self.expand(word)?);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match args.as_slice() {
            ["dfx", "canister", "id", name] => self
                .id(name)
                .map(|id| id.to_text())
                .map_err(|e| e.to_string()),
            _ => Err(format!(
                "`$({})`: only `$(dfx canister id NAME)` is supported",
                args.join(" ")
            )),
        }
    }

    /// Runs one command with expanded arguments.
    fn command(&mut self, args: &[String]) -> Result<String, Fatal> {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match args.as_slice() {
            [] => Err(Fatal::script("an empty command")),
            ["set", flags @ ..] => check_set_flags(flags)
                .map(|()| String::new())
                .map_err(Fatal::script),
            ["echo", words @ ..] => Ok(words.join(" ")),
            ["sleep", seconds] => {
                let seconds: u64 = seconds
                    .parse()
                    .map_err(|_| Fatal::script(format!("`sleep {seconds}`: whole seconds only")))?;
                if let Some(replica) = self.replica()? {
                    replica.sleep(seconds);
                }
                Ok(String::new())
            }
            ["curl", rest @ ..] => self.curl(rest),
            ["dfx", rest @ ..] => self.dfx(rest),
            ["bash", script, rest @ ..] => self.bash(script, rest),
            [program, ..] => Err(Fatal::script(format!(
                "`{program}` is not a command the walkthrough interpreter supports"
            ))),
        }
    }

    /// The replica; `None` in check mode.
    fn replica(&self) -> Result<Option<&Replica>, Fatal> {
        match (self.mode, &self.replica) {
            (Mode::Check, _) => Ok(None),
            (Mode::Run, Some(replica)) => Ok(Some(replica)),
            (Mode::Run, None) => Err(Fatal::script(
                "no local replica is running: `dfx start --background` first",
            )),
        }
    }

    /// `path` from the working directory.
    fn path(&self, path: &str) -> PathBuf {
        self.cwd.join(path)
    }

    /// The dfx.json name of the canister created with `id`.
    fn name_of(&self, id: Principal) -> Option<String> {
        self.ids
            .iter()
            .find(|(_, v)| **v == id)
            .map(|(name, _)| name.clone())
    }

    /// The id of canister `name`, once created.
    fn id(&self, name: &str) -> Result<Principal, Fatal> {
        self.project.canister(name).map_err(Fatal::Script)?;
        self.ids.get(name).copied().ok_or_else(|| {
            Fatal::Failed(format!(
                "cannot find canister id of `{name}`: run `dfx canister create {name}` first"
            ))
        })
    }
}

/// Why a command did not succeed.
#[derive(Debug)]
enum Fatal {
    /// The command failed as it would with dfx (a reject, a missing canister): `|| true` and
    /// `# expect-error:` apply.
    Failed(String),
    /// The script is wrong for the interpreter (unsupported syntax, an argument that does not
    /// type-check): always fails the run.
    Script(String),
}

impl Fatal {
    fn script(message: impl Into<String>) -> Fatal {
        Fatal::Script(message.into())
    }
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fatal::Failed(m) | Fatal::Script(m) => f.write_str(m),
        }
    }
}

#[cfg(test)]
mod tests;
