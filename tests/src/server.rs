//! Starting the server `POCKET_IC_BIN` names as a process of its own, as the `pocket-ic` client
//! does, for tests of the server's life and its HTTP behaviour.

use pocket_ic::{PocketIc, PocketIcBuilder};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary the tests use.
pub fn server_binary() -> PathBuf {
    std::env::var_os("POCKET_IC_BIN")
        .map(PathBuf::from)
        .expect("set POCKET_IC_BIN to the server binary (scripts/test.sh does)")
}

/// Starts the server with `--port-file port_file --ttl ttl_secs`.
pub fn spawn_server(port_file: &Path, ttl_secs: u64) -> Child {
    Command::new(server_binary())
        .arg("--port-file")
        .arg(port_file)
        .arg("--ttl")
        .arg(ttl_secs.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts")
}

/// Waits for the port file to hold a complete line and returns the port.
pub fn wait_for_port(port_file: &Path) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(port_file) {
            if let Some(line) = text.strip_suffix('\n') {
                return line.parse().expect("the port file holds a port number");
            }
        }
        assert!(
            Instant::now() < deadline,
            "no port in {}",
            port_file.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A fresh port file path (not created) unique to this process and `name`.
pub fn port_file_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ic-sim-test-{}-{name}.port", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// A `pocket-ic` client of the server listening on `port`, with one application subnet.
pub fn client_at(port: u16) -> PocketIc {
    let url = format!("http://127.0.0.1:{port}/").parse().unwrap();
    PocketIcBuilder::new()
        .with_server_url(url)
        .with_application_subnet()
        .build()
}
