//! `bash scripts/NAME.sh ARGS`: runs one of the project's scripts with real bash, so the script
//! operators run is the one tested, with `dfx`, `didc` and `sleep` on its PATH answered by this
//! session: each is a small shim (`shim.py`) that sends its command over a Unix socket and prints
//! the answer. `dfx` reaches the same emulated replica as the walkthrough's own commands, and
//! `sleep N` lets N seconds of IC time pass, so what the script waits for happens. Everything else
//! the script runs is the machine's own.

use super::{Fatal, Mode, Session};
use serde::{Deserialize, Serialize};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The shim that stands in for each command the session answers.
const SHIM: &str = include_str!("shim.py");
/// The commands a script's shims send here.
const ANSWERED: [&str; 3] = ["dfx", "didc", "sleep"];
/// Longest a script may run, wall-clock time.
const MAX_RUN: Duration = Duration::from_secs(900);

/// A command a shim sends.
#[derive(Deserialize)]
struct Request {
    argv: Vec<String>,
    cwd: PathBuf,
}

/// What the shim prints and exits with.
#[derive(Serialize)]
struct Answer {
    stdout: String,
    stderr: String,
    status: i32,
}

/// A scratch directory with the shims and the socket, removed when dropped.
struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new() -> std::io::Result<Sandbox> {
        use std::os::unix::fs::{symlink, PermissionsExt};
        use std::sync::atomic::{AtomicU32, Ordering};
        static RUNS: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dfx-script-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(dir.join("bin"))?;
        let sandbox = Sandbox { dir };
        let shim = sandbox.dir.join("shim.py");
        std::fs::write(&shim, SHIM)?;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755))?;
        for name in ANSWERED {
            symlink(&shim, sandbox.bin().join(name))?;
        }
        Ok(sandbox)
    }

    fn bin(&self) -> PathBuf {
        self.dir.join("bin")
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("socket")
    }

    fn output(&self) -> PathBuf {
        self.dir.join("output")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Session {
    /// Runs project script `script` with `args`; its output (stdout and stderr as they came) on
    /// success, a failure with it otherwise.
    pub(super) fn bash(&mut self, script: &str, args: &[&str]) -> Result<String, Fatal> {
        let is_project_script = Path::new(script)
            .strip_prefix("scripts")
            .is_ok_and(|name| name.components().count() == 1)
            && script.ends_with(".sh");
        if !is_project_script {
            return Err(Fatal::script(format!(
                "`bash {script}`: only the project's scripts (`bash scripts/NAME.sh`) are supported"
            )));
        }
        if !self.path(script).is_file() {
            return Err(Fatal::script(format!("no script {script}")));
        }
        if self.mode == Mode::Check {
            return Ok(String::new());
        }
        let sandbox = Sandbox::new().map_err(|e| Fatal::script(format!("a scratch dir: {e}")))?;
        let result = self.serve(&sandbox, script, args);
        let output = std::fs::read_to_string(sandbox.output()).unwrap_or_default();
        match result? {
            Some(0) => Ok(output),
            Some(code) => Err(Fatal::Failed(format!(
                "{script} exited with status {code}:\n{output}"
            ))),
            None => Err(Fatal::Failed(format!(
                "{script} was killed by a signal:\n{output}"
            ))),
        }
    }

    /// Starts bash on `script` and answers its shims until it exits; its exit code.
    fn serve(
        &mut self,
        sandbox: &Sandbox,
        script: &str,
        args: &[&str],
    ) -> Result<Option<i32>, Fatal> {
        let io = |e: std::io::Error| Fatal::script(format!("running {script}: {e}"));
        let listener = UnixListener::bind(sandbox.socket()).map_err(io)?;
        listener.set_nonblocking(true).map_err(io)?;
        let output = std::fs::File::create(sandbox.output()).map_err(io)?;
        let path = std::env::var("PATH").unwrap_or_default();
        let mut child = Command::new("bash")
            .arg(script)
            .args(args)
            .current_dir(&self.cwd)
            .env("PATH", format!("{}:{path}", sandbox.bin().display()))
            .env("DFX_SCRIPT_SOCKET", sandbox.socket())
            .stdin(Stdio::null())
            .stdout(output.try_clone().map_err(io)?)
            .stderr(output)
            .spawn()
            .map_err(io)?;
        let started = Instant::now();
        // The first command the interpreter refused: the script goes on (and likely fails), the
        // run fails with it.
        let mut refused = None;
        let status = loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    if let Err(Fatal::Script(message)) = self.answer(stream) {
                        refused.get_or_insert(message);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if let Some(status) = child.try_wait().map_err(io)? {
                        break status.code();
                    }
                    if started.elapsed() > MAX_RUN {
                        stop(&mut child);
                        return Err(Fatal::script(format!(
                            "{script} ran over {} s and was stopped",
                            MAX_RUN.as_secs()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => {
                    stop(&mut child);
                    return Err(io(e));
                }
            }
        };
        match refused {
            Some(message) => Err(Fatal::script(format!("{script}: {message}"))),
            None => Ok(status),
        }
    }

    /// Runs the command a shim sent on `stream` and sends back the answer; a command the
    /// interpreter refuses is answered as a failure and returned.
    fn answer(&mut self, mut stream: UnixStream) -> Result<(), Fatal> {
        let mut request = String::new();
        stream
            .set_nonblocking(false)
            .and_then(|()| stream.read_to_string(&mut request))
            .map_err(|e| Fatal::script(format!("reading a shim's request: {e}")))?;
        let request: Request = serde_json::from_str(&request)
            .map_err(|e| Fatal::script(format!("a shim's request: {e}")))?;
        let argv: Vec<String> = request.argv;
        let shown = argv.join(" ");
        let script_cwd = std::mem::replace(&mut self.cwd, request.cwd);
        let result = match argv.first().map(String::as_str) {
            Some("didc") => {
                let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
                self.didc(&args)
            }
            Some(name) if ANSWERED.contains(&name) => self.command(&argv),
            _ => Err(Fatal::script(format!("`{shown}` reached the interpreter"))),
        };
        self.cwd = script_cwd;
        let (answer, refused) = match result {
            Ok(stdout) => (Answer::printed(stdout), Ok(())),
            Err(Fatal::Failed(error)) => (Answer::failed(format!("Error: {error}"), 1), Ok(())),
            Err(Fatal::Script(message)) => {
                let message = format!("`{shown}`: {message}");
                (
                    Answer::failed(format!("dfx-script: {message}"), 2),
                    Err(Fatal::Script(message)),
                )
            }
        };
        let reply = serde_json::to_vec(&answer).expect("an answer serialises");
        stream
            .write_all(&reply)
            .map_err(|e| Fatal::script(format!("answering `{shown}`: {e}")))?;
        refused
    }
}

impl Answer {
    /// A command that succeeded printing `stdout` (a line, as dfx prints it).
    fn printed(mut stdout: String) -> Answer {
        if !stdout.is_empty() && !stdout.ends_with('\n') {
            stdout.push('\n');
        }
        Answer {
            stdout,
            stderr: String::new(),
            status: 0,
        }
    }

    /// A command that failed with `message` and exit `status`.
    fn failed(message: String, status: i32) -> Answer {
        Answer {
            stdout: String::new(),
            stderr: message + "\n",
            status,
        }
    }
}

/// Kills a script that must not go on.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}
