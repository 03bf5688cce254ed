//! Runs a tutorial script (`scripts/icp-walkthrough.sh`) statement by statement with the
//! machine's real programs, as bash runs it, and checks the `# expect: TEXT` and
//! `# expect-error: TEXT` comments below each command against what the command printed (its
//! standard output, then its standard error), with the parser and checks of `tools/dfx-script`.
//!
//! The shell is the parser's subset (anything else fails at its line): `NAME=value`, `$NAME`,
//! `${NAME}`, `$(command)` (its standard output, trailing newlines removed), a trailing
//! `|| true`, `set -e…`, and `export NAME=value` (for the commands after it). Every other command
//! runs as a process in the script's directory with the runner's environment (so a `sleep` or an
//! `icp` on the runner's `PATH` is the one that runs); a command that fails without `|| true`
//! stops the run there, as `set -e` does.

use dfx_script::{Body, Failure, ScriptError, Statement, Step, Transcript, Word};
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Longest one command may run before the run fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

/// A script's run: its directory, environment and shell variables.
pub struct ScriptRunner {
    dir: PathBuf,
    /// Environment of every command, besides the runner's own and the exported variables.
    env: Vec<(String, OsString)>,
    vars: HashMap<String, String>,
    exported: Vec<String>,
    /// Where the commands' output goes while they run.
    scratch: PathBuf,
    /// Seconds on the clock the transcript shows for each step.
    clock: Box<dyn Fn() -> u64>,
}

impl ScriptRunner {
    /// A runner of scripts in `dir` (also `$PWD`), its steps timed by `clock`.
    pub fn new(dir: &Path, clock: impl Fn() -> u64 + 'static) -> ScriptRunner {
        static RUNNERS: AtomicU32 = AtomicU32::new(0);
        let scratch = std::env::temp_dir().join(format!(
            "script-runner-{}-{}",
            std::process::id(),
            RUNNERS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&scratch).expect("a scratch directory");
        ScriptRunner {
            dir: dir.to_path_buf(),
            env: Vec::new(),
            vars: HashMap::from([("PWD".to_string(), dir.display().to_string())]),
            exported: Vec::new(),
            scratch,
            clock: Box::new(clock),
        }
    }

    /// Sets `name` in the environment of every command.
    pub fn env(mut self, name: &str, value: impl Into<OsString>) -> ScriptRunner {
        self.env.push((name.to_string(), value.into()));
        self
    }

    /// Runs `script`, checking its expectations; stops at the first failure.
    pub fn run(&mut self, script: &str) -> Result<Transcript, Failure> {
        let mut transcript = Transcript::default();
        let result = dfx_script::parse(script).and_then(|statements| {
            statements
                .iter()
                .try_for_each(|statement| self.statement(statement, &mut transcript))
        });
        match result {
            Ok(()) => Ok(transcript),
            Err(error) => Err(Failure { error, transcript }),
        }
    }

    fn statement(
        &mut self,
        statement: &Statement,
        transcript: &mut Transcript,
    ) -> Result<(), ScriptError> {
        let at = |message: String| ScriptError::new(statement.line, message);
        let record = |runner: &Self, transcript: &mut Transcript, command, output| {
            transcript.steps.push(Step {
                line: statement.line,
                at_secs: (runner.clock)(),
                command,
                output,
            })
        };
        match &statement.body {
            Body::Assign { name, value } => {
                if !statement.expects.is_empty() {
                    return Err(at("an assignment cannot carry expectations".into()));
                }
                let value = self.expand(value).map_err(at)?;
                record(self, transcript, format!("{name}={value}"), String::new());
                self.vars.insert(name.clone(), value);
                Ok(())
            }
            Body::Command { words, or_true } => {
                let args = words
                    .iter()
                    .map(|word| self.expand(word))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(at)?;
                statement.check_failure_tolerated(*or_true)?;
                let shown = args.join(" ");
                let outcome = self.command(&args).map_err(at)?;
                let output = match &outcome {
                    Ok(output) => output.clone(),
                    Err(output) if *or_true => output.clone(),
                    Err(output) => return Err(at(format!("`{shown}` failed:\n{output}"))),
                };
                record(self, transcript, shown, output);
                transcript.checks += dfx_script::verify(
                    &statement.expects,
                    outcome.as_deref().map_err(String::as_str),
                )
                .map_err(at)?;
                Ok(())
            }
        }
    }

    /// A word after expansion.
    fn expand(&self, word: &Word) -> Result<String, String> {
        word.expand(&self.vars, &mut |words| self.substitute(words))
    }

    /// `$(words)`: the command's standard output without its trailing newlines.
    fn substitute(&self, words: &[Word]) -> Result<String, String> {
        let args = words
            .iter()
            .map(|word| self.expand(word))
            .collect::<Result<Vec<_>, _>>()?;
        let (stdout, stderr, success) = self.spawn(&args)?;
        if !success {
            return Err(format!("`$({})` failed:\n{stdout}{stderr}", args.join(" ")));
        }
        Ok(stdout.trim_end_matches('\n').to_string())
    }

    /// Runs one command: `Ok` with what it printed when it succeeded, `Err` with it when it
    /// failed; the outer error when it could not run or is not allowed.
    fn command(&mut self, args: &[String]) -> Result<Result<String, String>, String> {
        match args {
            [] => Err("an empty command".into()),
            [set, flags @ ..] if set == "set" => {
                let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
                dfx_script::check_set_flags(&flags)?;
                Ok(Ok(String::new()))
            }
            [export, assignment] if export == "export" => {
                let (name, value) = assignment
                    .split_once('=')
                    .ok_or_else(|| format!("`export {assignment}`: write `export NAME=value`"))?;
                self.vars.insert(name.to_string(), value.to_string());
                self.exported.push(name.to_string());
                Ok(Ok(String::new()))
            }
            _ => {
                let (stdout, stderr, success) = self.spawn(args)?;
                let output = match (stdout.is_empty(), stderr.is_empty()) {
                    (_, true) => stdout,
                    (true, false) => stderr,
                    (false, false) => format!("{stdout}\n{stderr}"),
                };
                Ok(if success { Ok(output) } else { Err(output) })
            }
        }
    }

    /// Runs `args` as a process; its standard output, standard error and success.
    fn spawn(&self, args: &[String]) -> Result<(String, String, bool), String> {
        let (program, rest) = args.split_first().ok_or("an empty command")?;
        let (stdout_path, stderr_path) = (self.scratch.join("stdout"), self.scratch.join("stderr"));
        let file = |path: &Path| std::fs::File::create(path).map_err(|e| e.to_string());
        let mut command = Command::new(program);
        command
            .args(rest)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(file(&stdout_path)?)
            .stderr(file(&stderr_path)?);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        for name in &self.exported {
            command.env(name, &self.vars[name]);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("`{program}` cannot run: {e}"))?;
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                break status;
            }
            if started.elapsed() > COMMAND_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{}` ran over {} s and was stopped",
                    args.join(" "),
                    COMMAND_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let read = |path: &Path| {
            String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
        };
        Ok((read(&stdout_path), read(&stderr_path), status.success()))
    }
}

/// How many `# expect:` and `# expect-error:` claims `script` makes.
pub fn claims(script: &str) -> usize {
    script
        .lines()
        .filter(|l| l.starts_with("# expect:") || l.starts_with("# expect-error:"))
        .count()
}

impl Drop for ScriptRunner {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}
