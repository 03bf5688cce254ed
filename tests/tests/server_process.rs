//! The server process as the `pocket-ic` client relies on it: version line, exclusive port file,
//! idle TTL, clear errors for bad requests, one server shared by several test processes.

use candid::{decode_one, encode_args, Principal};
use integration_tests::canister_wasm;
use integration_tests::server::{
    client_at, port_file_path, server_binary, spawn_server, wait_for_port,
};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn version_line_declares_pocket_ic_16_compatibility() {
    let output = Command::new(server_binary())
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    let line = String::from_utf8(output.stdout).unwrap();
    assert!(line.starts_with("pocket-ic-server 16."), "{line}");
}

#[test]
fn server_exits_after_its_ttl_and_removes_its_port_file() {
    let port_file = port_file_path("ttl");
    let mut server = spawn_server(&port_file, 1);
    let port = wait_for_port(&port_file);
    let instances: Vec<String> =
        reqwest::blocking::get(format!("http://127.0.0.1:{port}/instances"))
            .unwrap()
            .json()
            .unwrap();
    assert!(instances.is_empty());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "server still running after its TTL"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success());
    assert!(!port_file.exists());
}

#[test]
fn a_second_server_with_the_same_port_file_leaves_quietly() {
    let port_file = port_file_path("exclusive");
    let mut first = spawn_server(&port_file, 5);
    let port = wait_for_port(&port_file);
    let second = spawn_server(&port_file, 5).wait_with_output().unwrap();
    assert!(second.status.success());
    assert_eq!(wait_for_port(&port_file), port, "the owner's port stays");
    first.kill().unwrap();
    let _ = first.wait();
}

#[test]
fn bad_requests_get_clear_errors_and_the_server_keeps_serving() {
    let port_file = port_file_path("bad-requests");
    let mut server = spawn_server(&port_file, 30);
    let base = format!("http://127.0.0.1:{}", wait_for_port(&port_file));
    let client = reqwest::blocking::Client::new();
    let error = |response: reqwest::blocking::Response| -> (u16, String) {
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().expect("error bodies are JSON");
        (
            status,
            body["message"].as_str().expect("a message").to_string(),
        )
    };

    let (status, message) = error(
        client
            .get(format!("{base}/instances/99/read/get_time"))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404);
    assert!(message.contains("instance 99"), "{message}");

    let created: serde_json::Value = client
        .post(format!("{base}/instances"))
        .json(&serde_json::json!({"subnet_config_set": {"nns": null, "sns": null, "ii": null, "fiduciary": null, "bitcoin": null, "test_threshold_keys": null, "system": [], "application": [], "verified_application": []}, "http_gateway_config": null, "state_dir": null, "icp_config": null, "log_level": null, "bitcoind_addr": null, "dogecoind_addr": null, "icp_features": null, "incomplete_state": null, "initial_time": null, "mainnet_nns_subnet_id": null, "disable_ingress_validation": null}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = created["Created"]["instance_id"]
        .as_u64()
        .expect("instance created");

    let (status, message) = error(
        client
            .post(format!("{base}/instances/{id}/read/get_cycles"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400);
    assert!(message.contains("malformed JSON"), "{message}");

    let unknown = Principal::from_slice(&[1, 2, 3]);
    let (status, message) = error(
        client
            .post(format!("{base}/instances/{id}/read/get_cycles"))
            .json(&pocket_ic::common::rest::RawCanisterId::from(unknown))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400);
    assert!(message.contains(&unknown.to_text()), "{message}");

    let time = client
        .get(format!("{base}/instances/{id}/read/get_time"))
        .send()
        .unwrap();
    assert_eq!(time.status().as_u16(), 200, "the server still serves");
    server.kill().unwrap();
    let _ = server.wait();
}

/// Run by `two_test_processes_share_one_server` in each child process.
#[test]
#[ignore = "child half of two_test_processes_share_one_server"]
fn shared_server_child() {
    let Some(port_file) = std::env::var_os("SHARED_PORT_FILE") else {
        return;
    };
    let port_file = std::path::PathBuf::from(port_file);
    // Whichever child claims the port file runs the shared server; it must outlive this process
    // (the other child uses it) and exits by itself after its TTL, so it is not waited for.
    #[allow(clippy::zombie_processes)]
    let _owner = spawn_server(&port_file, 10);
    let port = wait_for_port(&port_file);
    let pic = client_at(port);
    let canister = pic.create_canister();
    pic.add_cycles(canister, 2_000_000_000_000);
    pic.install_canister(
        canister,
        canister_wasm("test-probe"),
        encode_args((None::<String>,)).unwrap(),
        None,
    );
    for expected in 1..=5u64 {
        let reply = pic
            .update_call(
                canister,
                Principal::anonymous(),
                "inc",
                encode_args(()).unwrap(),
            )
            .unwrap();
        assert_eq!(decode_one::<u64>(&reply).unwrap(), expected);
    }
    println!("served-by-port={port}");
}

#[test]
fn two_test_processes_share_one_server() {
    let port_file = port_file_path("shared");
    let spawn_child = || {
        Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "shared_server_child", "--nocapture"])
            .env("SHARED_PORT_FILE", &port_file)
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn_child);
        let b = s.spawn(spawn_child);
        (a.join().unwrap(), b.join().unwrap())
    });
    let port_of = |out: &std::process::Output| {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "child failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("served-by-port=").map(str::to_string))
            .expect("child printed its server's port")
    };
    assert_eq!(port_of(&a), port_of(&b), "both processes used one server");
}
