//! Benchmarks ic-sim's HTTPS interface beside the PocketIC REST API, in one run against one
//! server: round trips of an update and a query through `ic-agent` (CBOR envelopes, signatures,
//! certificates) and through the `pocket-ic` client (JSON REST). Run with
//! `POCKET_IC_BIN=target/release/ic-sim-server cargo run --release -p integration-tests --example https_bench`.

use candid::{encode_args, Principal};
use ic_agent::identity::BasicIdentity;
use ic_agent::Agent;
use integration_tests::canister_wasm;
use pocket_ic::{PocketIc, PocketIcBuilder};
use std::time::{Duration, Instant};

const CALLS: u32 = 1_000;

/// Mean time of `CALLS` runs of `f`.
fn mean(mut f: impl FnMut()) -> Duration {
    let started = Instant::now();
    for _ in 0..CALLS {
        f();
    }
    started.elapsed() / CALLS
}

/// Mean time of `CALLS` runs of the future `f` makes.
async fn mean_async<F: std::future::Future<Output = ()>>(mut f: impl FnMut() -> F) -> Duration {
    let started = Instant::now();
    for _ in 0..CALLS {
        f().await;
    }
    started.elapsed() / CALLS
}

fn rest_round_trips(pic: &PocketIc, canister: Principal) -> (Duration, Duration) {
    let no_args = encode_args(()).unwrap();
    let update = mean(|| {
        pic.update_call(canister, Principal::anonymous(), "inc", no_args.clone())
            .unwrap();
    });
    let query = mean(|| {
        pic.query_call(canister, Principal::anonymous(), "get", no_args.clone())
            .unwrap();
    });
    (update, query)
}

fn main() {
    let pic = PocketIcBuilder::new().with_application_subnet().build();
    let canister = pic.create_canister();
    pic.add_cycles(canister, 100_000_000_000_000);
    pic.install_canister(canister, canister_wasm("sim-test-counter"), vec![], None);
    let (rest_update, rest_query) = rest_round_trips(&pic, canister);

    let url = pic.auto_progress();
    let (live_rest_update, live_rest_query) = rest_round_trips(&pic, canister);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let no_args = encode_args(()).unwrap();
    let (https_update, https_query, https_read_state) = runtime.block_on(async {
        let agent = Agent::builder()
            .with_url(url.as_str())
            .with_identity(BasicIdentity::from_raw_key(&[7; 32]))
            .build()
            .unwrap();
        agent.fetch_root_key().await.unwrap();
        let update = mean_async(|| {
            let (agent, arg) = (agent.clone(), no_args.clone());
            async move {
                agent
                    .update(&canister, "inc")
                    .with_arg(arg)
                    .call_and_wait()
                    .await
                    .unwrap();
            }
        })
        .await;
        let query = mean_async(|| {
            let (agent, arg) = (agent.clone(), no_args.clone());
            async move {
                agent
                    .query(&canister, "get")
                    .with_arg(arg)
                    .call()
                    .await
                    .unwrap();
            }
        })
        .await;
        let read_state = mean_async(|| {
            let agent = agent.clone();
            async move {
                agent
                    .read_state_canister_info(canister, "module_hash")
                    .await
                    .unwrap();
            }
        })
        .await;
        (update, query, read_state)
    });

    println!("{CALLS} calls each, counter canister, one server:");
    println!("REST update round trip (pocket-ic client, instance not live): {rest_update:?}");
    println!("REST query round trip (pocket-ic client, instance not live): {rest_query:?}");
    println!("REST update round trip (pocket-ic client, instance live): {live_rest_update:?}");
    println!("REST query round trip (pocket-ic client, instance live): {live_rest_query:?}");
    println!("HTTPS update round trip (ic-agent call_and_wait, v4 sync call, certificate verified): {https_update:?}");
    println!("HTTPS query round trip (ic-agent, node signature verified): {https_query:?}");
    println!("HTTPS read_state round trip (ic-agent, module hash, certificate verified): {https_read_state:?}");
}
