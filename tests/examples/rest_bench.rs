//! Benchmarks the PocketIC REST front: time from starting the server to the first answered
//! call, and the round trip of an update call and a query over REST. Run with
//! `POCKET_IC_BIN=target/release/ic-sim-server cargo run --release -p integration-tests --example rest_bench`.

use candid::{encode_args, Principal};
use integration_tests::canister_wasm;
use integration_tests::server::{client_at, port_file_path, spawn_server, wait_for_port};
use std::time::Instant;

const CALLS: u32 = 1_000;

fn main() {
    let started = Instant::now();
    let port_file = port_file_path("bench");
    let mut server = spawn_server(&port_file, 5);
    let port = wait_for_port(&port_file);
    let pic = client_at(port);
    let canister = pic.create_canister();
    let first_call = started.elapsed();
    pic.add_cycles(canister, 10_000_000_000_000);
    pic.install_canister(canister, canister_wasm("sim-test-counter"), vec![], None);
    let no_args = encode_args(()).unwrap();

    let updates = Instant::now();
    for _ in 0..CALLS {
        pic.update_call(canister, Principal::anonymous(), "inc", no_args.clone())
            .unwrap();
    }
    let update_round_trip = updates.elapsed() / CALLS;

    let queries = Instant::now();
    for _ in 0..CALLS {
        pic.query_call(canister, Principal::anonymous(), "get", no_args.clone())
            .unwrap();
    }
    let query_round_trip = queries.elapsed() / CALLS;

    println!("server start to first answered call: {first_call:?}");
    println!("update call round trip over REST ({CALLS} calls): {update_round_trip:?}");
    println!("query call round trip over REST ({CALLS} calls): {query_round_trip:?}");
    drop(pic);
    server.kill().expect("stop the server");
    server.wait().expect("reap the server");
}
