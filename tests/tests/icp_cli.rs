//! The real `icp` binary (icp-cli, from npm's `@icp-sdk/icp-cli-linux-x64`) operating the monitor
//! on ic-sim: `icp build` builds it through the workspace's icp.yaml (offline), a canister the
//! operator controls is created through the `pocket-ic` client, and `icp canister install` and
//! `icp canister call` reach it through the instance's HTTPS interface as a connected network
//! (`--network <URL> --root-key <hex>`), with `monitor/monitor.did` or the canister's own
//! `candid:service` metadata for the arguments and replies: an update (`register`) and queries
//! (`list_registrations`, `events`, `dead_letters`). `icp network start` runs `ic-sim-server` as
//! its network launcher, and `icp canister create`, `icp deploy`, `icp canister top-up` and
//! `icp cycles balance` work there through the system canisters' stand-ins, and the gateway
//! port serves canisters' pages (`<id>.raw.localhost`). The binary is installed into
//! `target/icp-cli/` when missing; if npm or its registry cannot be reached the test fails and
//! says so.

use candid::Principal;
use integration_tests::icp_cli::{network_descriptor, Icp, LocalNetwork, LOCAL_NETWORK_YAML};
use integration_tests::{canister_wasm, workspace_root};
use pocket_ic::{CanisterSettings, PocketIcBuilder};

#[test]
fn icp_canister_call_operates_the_monitor_on_ic_sim() {
    let icp = Icp::new("icp-home");
    let version = icp.run(&["--version"]);
    assert!(version.contains("1.5.0"), "{version}");
    let operator = icp.new_identity("operator");

    // `icp build` runs the monitor's build step offline: scripts/build-canisters.sh, then a copy.
    let root = workspace_root();
    let artifact = root.join(".icp/cache/artifacts/monitor");
    let _ = std::fs::remove_file(&artifact);
    icp.run_in(&root, &["build", "monitor"]);
    assert_eq!(
        std::fs::read(&artifact).unwrap(),
        canister_wasm("hooks-monitor"),
        "icp's build output is target/canisters/hooks-monitor.wasm"
    );

    // A canister the operator controls, created through the pocket-ic API (icp creates canisters
    // through the cycles ledger and the CMC, which ic-sim does not have), installed by icp.
    let pic = PocketIcBuilder::new().with_application_subnet().build();
    let settings = CanisterSettings {
        controllers: Some(vec![operator]),
        ..Default::default()
    };
    let monitor = pic.create_canister_with_settings(None, Some(settings));
    pic.add_cycles(monitor, 100_000_000_000_000);
    let watched = pic.create_canister();
    pic.add_cycles(watched, 10_000_000_000_000);
    pic.set_controllers(watched, None, vec![Principal::anonymous(), monitor])
        .unwrap();
    let url = pic.auto_progress().to_string();
    let root_key = hex::encode(fetch_root_key(&url));
    let network = ["--network", &url, "--root-key", &root_key];
    let as_operator = ["--identity", "operator"];
    let init = format!("(opt record {{ admins = opt vec {{ principal \"{operator}\" }} }})");
    let monitor = monitor.to_text();
    let wasm = artifact.to_str().unwrap();
    let install = [&["canister", "install"], &network[..], &as_operator];
    icp.run(
        &[
            &install.concat()[..],
            &["--wasm", wasm, "--args", &init, &monitor],
        ]
        .concat(),
    );

    let did = root.join("monitor/monitor.did");
    let with_did = ["--candid", did.to_str().unwrap()];
    let call = |interface: &[&str], method: &str, args: &str, query: bool| {
        let mode: &[&str] = if query { &["--query"] } else { &[] };
        let head = [&["canister", "call"], &network[..], &as_operator, interface].concat();
        icp.run(&[&head[..], &[&monitor, method, args], mode].concat())
    };

    // An update through the synchronous call endpoint, its certificate checked by icp.
    let register = format!(
        r#"(record {{ canister_id = principal "{watched}"; label = opt "watched"; cycles_threshold = opt 1_000_000_000_000; hooks = record {{ on_low_cycles = true; on_low_memory = true; on_error = true }} }})"#
    );
    let registered = call(&with_did, "register", &register, false);
    assert!(registered.contains("Ok"), "{registered}");

    // Queries, decoded with the .did file.
    let listed = call(&with_did, "list_registrations", "(null, 50)", true);
    assert!(listed.contains("\"watched\""), "{listed}");
    assert!(listed.contains(&watched.to_text()), "{listed}");
    let events = call(&with_did, "events", "(record { limit = opt 10 })", true);
    assert!(events.contains("events"), "{events}");
    let dead = call(&with_did, "dead_letters", "(null, null, 10)", true);
    assert!(dead.contains("dead_letters = vec {}"), "{dead}");

    // The same query as an update (no `--query`) answers alike, certified.
    let listed_by_update = call(&with_did, "list_registrations", "(null, 50)", false);
    assert_eq!(listed_by_update, listed);

    // Without `--candid`, icp reads the interface from the canister's certified
    // `candid:service` metadata (read_state `/canister/<id>/metadata/candid:service`).
    let from_metadata = call(&[], "list_registrations", "(null, 50)", true);
    assert_eq!(from_metadata, listed);

    // A method the interface does not have is refused.
    let head = [&["canister", "call"], &network[..], &with_did].concat();
    let unknown = icp.output(
        &icp.home,
        &[&head[..], &[&monitor, "nope", "()"]].concat(),
        &[],
    );
    assert!(!unknown.status.success());
}

/// `icp network start` runs ic-sim-server as its network launcher, with the stand-ins of the
/// ICP ledger, the cycles ledger and the CMC: icp seeds the operator's identity with 1,000 T
/// cycles and installs its Candid UI and proxy canisters, then creates, deploys, calls and tops up
/// a canister of the project through the cycles ledger, reads its page through the network's
/// HTTP gateway, and stops the network.
#[test]
fn icp_network_start_deploys_a_canister_on_ic_sim() {
    let icp = Icp::new("icp-launcher-project");
    icp.new_identity("operator");
    icp.run(&["identity", "default", "operator"]);
    let project = &icp.home;
    std::fs::write(project.join("worker.wasm"), canister_wasm("example-worker")).unwrap();
    let canister = "canisters:\n  - name: worker\n    init_args: '(record { greeting = opt \"hi from icp\" })'\n    build:\n      steps:\n        - type: pre-built\n          path: worker.wasm\n";
    std::fs::write(
        project.join("icp.yaml"),
        format!("{LOCAL_NETWORK_YAML}{canister}"),
    )
    .unwrap();

    let network = LocalNetwork::start(&icp, project);
    let seeded = icp.run(&["cycles", "balance"]);
    assert_eq!(seeded.trim(), "Balance: 1_000_000_000_000_000 cycles");
    let icp_balance = icp.run(&["token", "balance"]);
    assert_eq!(icp_balance.trim(), "Balance: 1000000.00000000 ICP");

    let created = icp.run(&["canister", "create", "worker"]);
    let id = created
        .trim()
        .strip_prefix("Created canister worker with ID ")
        .unwrap_or_else(|| panic!("{created}"));
    let id = Principal::from_text(id).expect("a canister id");
    let deployed = icp.run(&["deploy", "worker"]);
    assert!(deployed.contains(&id.to_text()), "{deployed}");
    let config = icp.run(&["canister", "call", "worker", "config", "()"]);
    assert!(config.contains("greeting = \"hi from icp\""), "{config}");
    // Its page, through the network's HTTP gateway, as `curl http://<id>.raw.localhost:<port>/`.
    let port = gateway_port(project);
    let host = format!("{id}.raw.localhost");
    let page = reqwest::blocking::Client::builder()
        .resolve(&host, ([127, 0, 0, 1], port).into())
        .build()
        .unwrap()
        .get(format!("http://{host}:{port}/"))
        .send()
        .and_then(|response| response.error_for_status()?.text())
        .unwrap();
    assert_eq!(
        page,
        "worker: 0 jobs queued in all, 0 compacted, 0 errors seen\n"
    );

    let topped = icp.run_logged_in(project, &["canister", "top-up", "worker", "--amount", "5t"]);
    assert!(
        topped.contains("Topped up canister worker with 5_000_000_000_000 cycles"),
        "{topped}"
    );
    // Creation took 2 T (icp's default) and top-up 5 T, plus the ledger's fee (0.0001 T) each.
    let left = icp.run(&["cycles", "balance"]);
    assert_eq!(left.trim(), "Balance: 992_999_800_000_000 cycles");
    let status = icp.run(&["canister", "status", "worker"]);
    assert!(status.contains("Status: Running"), "{status}");
    network.stop();
    let stopped = icp.output(project, &["cycles", "balance"], &[]);
    assert!(!stopped.status.success(), "the network is gone");
}

/// The gateway port of the project's running local network (icp's `descriptor.json`).
fn gateway_port(project: &std::path::Path) -> u16 {
    let descriptor = network_descriptor(project).expect("the network's descriptor");
    let port = descriptor["gateway"]["port"].as_u64();
    port.and_then(|p| u16::try_from(p).ok())
        .unwrap_or_else(|| panic!("no gateway port in {descriptor}"))
}

/// The root key from the instance's `/api/v2/status`, as the Rust agent reads it.
fn fetch_root_key(url: &str) -> Vec<u8> {
    let agent = ic_agent::Agent::builder().with_url(url).build().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(agent.fetch_root_key()).unwrap();
    agent.read_root_key()
}
