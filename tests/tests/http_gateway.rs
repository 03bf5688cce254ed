//! ic-sim-server's HTTP gateway, as a browser or `curl` reaches canisters' pages: `make_live`
//! starts it (`POST /http_gateway`), requests to `<canister id>.localhost` or with
//! `?canisterId=<id>` become the canister's `http_request` (upgraded to `http_request_update`
//! when asked, streamed bodies followed to the end), failures (and requests naming no canister)
//! answer the gateway's status with a plain-text reason, `/api/...` stays the HTTPS interface,
//! and `stop_live` or deleting the instance stops the listener. The monitor's public `/metrics`
//! is served the same way.

use candid::Principal;
use canister_hooks_testkit::monitor::{
    encode_init, HttpPages, MonitorInit, ReadPolicy, ReadSettingsUpdate,
};
use integration_tests::canister_wasm;
use pocket_ic::common::rest::{CreateHttpGatewayResponse, HttpGatewayBackend, HttpGatewayConfig};
use pocket_ic::PocketIc;
use reqwest::blocking::{Client, Response};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const CYCLES: u128 = 10_000_000_000_000;

/// An instance with `wasm` installed with `arg`; the canister.
fn install(pic: &PocketIc, wasm: &str, arg: Vec<u8>) -> Principal {
    let canister = pic.create_canister();
    pic.add_cycles(canister, CYCLES);
    pic.install_canister(canister, canister_wasm(wasm), arg, None);
    canister
}

/// A client that resolves `<canister>.localhost` and `<canister>.raw.localhost` to the gateway,
/// as browsers do.
fn client_for(canister: Principal, port: u16) -> Client {
    let gateway = SocketAddr::from(([127, 0, 0, 1], port));
    Client::builder()
        .resolve(&format!("{canister}.localhost"), gateway)
        .resolve(&format!("{canister}.raw.localhost"), gateway)
        .build()
        .unwrap()
}

fn text(response: Response) -> (u16, String) {
    (response.status().as_u16(), response.text().unwrap())
}

/// Whether something still accepts connections on `port` (waits up to 5 s for it to stop).
fn still_listening(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

#[test]
fn canister_pages_through_the_gateway_make_live_starts() {
    let mut pic = PocketIc::new();
    let probe = install(
        &pic,
        "test-probe",
        candid::encode_one(None::<String>).unwrap(),
    );
    let url = pic.make_live(None);
    let port = url.port().expect("the gateway's URL has a port");
    let client = client_for(probe, port);
    let page = |path: &str| format!("http://{probe}.localhost:{port}{path}");

    // A query: the request as the canister saw it; status and headers as it answered.
    let response = client
        .get(page("/hello?x=1"))
        .header("x-probe", "7")
        .send()
        .unwrap();
    assert_eq!(response.headers()["x-probe-page"], "yes");
    assert_eq!(
        text(response),
        (
            201,
            "GET /hello?x=1 x-probe=7 body= certificate_version=Some(2) count=0".into()
        )
    );
    // Any host with `?canisterId=`, and a body.
    let echo = format!("http://127.0.0.1:{port}/echo?canisterId={probe}");
    let (status, body) = text(client.post(echo).body("payload").send().unwrap());
    assert_eq!(status, 201);
    assert!(
        body.starts_with(&format!(
            "POST /echo?canisterId={probe} x-probe= body=payload"
        )),
        "{body}"
    );
    // An upgrade runs `http_request_update` as an update: its count stays.
    assert_eq!(
        text(client.get(page("/upgrade")).send().unwrap()),
        (200, "updated /upgrade count=1".into())
    );
    assert!(text(client.get(page("/")).send().unwrap())
        .1
        .ends_with("count=1"));
    // A streamed body, followed to its last chunk.
    assert_eq!(
        text(client.get(page("/stream")).send().unwrap()),
        (200, "chunk 0;chunk 1;chunk 2;".into())
    );

    // Failures: a trap (502), a canister without code (503), no such canister (404).
    let (status, reason) = text(client.get(page("/trap")).send().unwrap());
    assert_eq!(status, 502);
    assert!(reason.contains("the page traps"), "{reason}");
    let empty = pic.create_canister();
    let (status, reason) = text(
        client
            .get(format!("http://127.0.0.1:{port}/?canisterId={empty}"))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 503, "{reason}");
    assert!(reason.starts_with("http_request failed"), "{reason}");
    let missing = Principal::from_slice(&[0, 0, 0, 0, 0, 0x42, 0, 1, 1, 1]);
    let (status, reason) = text(
        Client::new()
            .get(format!("http://127.0.0.1:{port}/"))
            .header("host", format!("{missing}.raw.localhost:{port}"))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404, "{reason}");
    let host_wins = client.get(page("/?canisterId=nope")).send().unwrap();
    assert_eq!(host_wins.status(), 201, "the host names the canister");
    let bad = format!("http://127.0.0.1:{port}/?canisterId=nope");
    assert_eq!(Client::new().get(bad).send().unwrap().status(), 400);
    let (status, reason) = text(
        Client::new()
            .get(format!("http://127.0.0.1:{port}/index.html"))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400);
    assert!(reason.starts_with("no canister id in the host"), "{reason}");

    // The HTTPS interface at the root, on canister hosts too.
    for status_url in [
        format!("http://127.0.0.1:{port}/api/v2/status"),
        page("/api/v2/status"),
    ] {
        let response = client.get(&status_url).send().unwrap();
        assert_eq!(response.status(), 200, "{status_url}");
        assert_eq!(response.headers()["content-type"], "application/cbor");
    }

    // `stop_live` stops the listener; deleting the instance stops a new one.
    pic.stop_live();
    assert!(!still_listening(port), "the gateway stopped");
    let port = pic.make_live(None).port().unwrap();
    let again = format!("http://{probe}.localhost:{port}/");
    assert_eq!(
        client_for(probe, port).get(again).send().unwrap().status(),
        201
    );
    drop(pic);
    assert!(
        !still_listening(port),
        "deleting the instance stops its gateway"
    );
}

#[test]
fn the_monitors_public_metrics_are_served_raw() {
    let mut pic = PocketIc::new();
    let init = MonitorInit {
        config: None,
        admins: None,
        read_settings: Some(ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Public),
            http_pages: Some(HttpPages::Public),
        }),
    };
    let monitor = install(&pic, "hooks-monitor", encode_init(Some(init)));
    let port = pic.make_live(None).port().unwrap();
    let metrics = format!("http://{monitor}.raw.localhost:{port}/metrics");
    let (status, body) = text(client_for(monitor, port).get(metrics).send().unwrap());
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("monitor_registrations 0"), "{body}");
}

#[test]
fn gateways_refuse_what_they_cannot_serve() {
    let pic = PocketIc::new();
    let server = pic.get_server_url();
    let create = |forward_to| {
        let config = HttpGatewayConfig {
            ip_addr: None,
            port: None,
            forward_to,
            domains: None,
            https_config: None,
            domain_custom_provider_local_file: None,
        };
        let response = Client::new()
            .post(server.join("http_gateway").unwrap())
            .json(&config)
            .send()
            .unwrap();
        response.json::<CreateHttpGatewayResponse>().unwrap()
    };
    let error = |response| match response {
        CreateHttpGatewayResponse::Error { message } => message,
        created => panic!("expected a refusal, got {created:?}"),
    };
    let replica = error(create(HttpGatewayBackend::Replica(
        "http://127.0.0.1:1".into(),
    )));
    assert!(
        replica.contains("not the replica at http://127.0.0.1:1"),
        "{replica}"
    );
    let missing = error(create(HttpGatewayBackend::PocketIcInstance(9999)));
    assert!(
        missing.contains("instance 9999 does not exist"),
        "{missing}"
    );
    let stop = Client::new()
        .post(server.join("http_gateway/9999/stop").unwrap())
        .send()
        .unwrap();
    assert_eq!(stop.status(), 404);
}
