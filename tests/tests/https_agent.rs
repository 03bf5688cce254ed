//! ic-sim's HTTPS interface held to what the Rust agent (`ic-agent`) verifies: a canister
//! installed through the `pocket-ic` client is then called through `ic-agent` at the URL
//! `auto_progress` returns (`/instances/<id>/`): updates (their certificates checked against the
//! root key fetched from `/api/v2/status`), queries (their node signatures checked against the
//! node keys the agent reads from the certified `/subnet` tree), `read_state`, and the data
//! certificate a query reads (`ic0.data_certificate_copy`).

use candid::{Decode, Encode, Principal};
use ic_agent::identity::{AnonymousIdentity, BasicIdentity, Prime256v1Identity, Secp256k1Identity};
use ic_agent::{lookup_value, Agent, AgentError, Certificate, Identity};
use integration_tests::canister_wasm;
use pocket_ic::{PocketIc, PocketIcBuilder};
use sha2::{Digest, Sha256};

/// An instance with the counter canister, live; its HTTPS interface's URL.
fn live_counter() -> (PocketIc, Principal, Vec<u8>, String) {
    let pic = PocketIcBuilder::new().with_application_subnet().build();
    let canister = pic.create_canister();
    pic.add_cycles(canister, 10_000_000_000_000);
    let wasm = canister_wasm("sim-test-counter");
    pic.install_canister(canister, wasm.clone(), Encode!().unwrap(), None);
    let url = pic.auto_progress();
    (pic, canister, wasm, url.to_string())
}

async fn agent(url: &str, identity: impl Identity + 'static) -> Agent {
    let agent = Agent::builder()
        .with_url(url)
        .with_identity(identity)
        .build()
        .unwrap();
    agent.fetch_root_key().await.unwrap();
    agent
}

async fn inc(agent: &Agent, canister: Principal) -> Result<u64, AgentError> {
    let reply = agent
        .update(&canister, "inc")
        .with_arg(Encode!().unwrap())
        .call_and_wait()
        .await?;
    Ok(Decode!(&reply, u64).unwrap())
}

async fn get(agent: &Agent, canister: Principal) -> Result<u64, AgentError> {
    let reply = agent
        .query(&canister, "get")
        .with_arg(Encode!().unwrap())
        .call()
        .await?;
    Ok(Decode!(&reply, u64).unwrap())
}

#[test]
fn ic_agent_updates_queries_and_verifies_certificates() {
    let (pic, canister, wasm, url) = live_counter();
    assert!(
        url.ends_with(&format!("/instances/{}/", pic.instance_id())),
        "{url}"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let agent = agent(&url, BasicIdentity::from_raw_key(&[7; 32])).await;
        let root_key = agent.read_root_key();
        assert_eq!(root_key.len(), 133, "a DER-wrapped BLS12-381 public key");

        // An update: the certificate of its status is verified under the fetched root key.
        assert_eq!(inc(&agent, canister).await.unwrap(), 1);
        // A query: its node signature is verified with the node keys from the certified tree.
        assert_eq!(get(&agent, canister).await.unwrap(), 1);

        // The counter certifies its count; the data certificate its query reads verifies under
        // the root key for this canister and reveals the count.
        let reply = agent
            .query(&canister, "get_certified")
            .with_arg(Encode!().unwrap())
            .call()
            .await
            .unwrap();
        let (count, certificate) = Decode!(&reply, u64, Option<Vec<u8>>).unwrap();
        let certificate: Certificate =
            serde_cbor::from_slice(&certificate.expect("a query call has a data certificate"))
                .unwrap();
        agent.verify(&certificate, canister).unwrap();
        let path = [
            b"canister".as_slice(),
            canister.as_slice(),
            b"certified_data",
        ];
        let certified = lookup_value(&certificate, path).unwrap();
        assert_eq!((count, certified), (1, 1u64.to_be_bytes().as_slice()));

        // read_state: the certified module hash and controllers.
        let module_hash = agent
            .read_state_canister_info(canister, "module_hash")
            .await
            .unwrap();
        assert_eq!(module_hash, Sha256::digest(&wasm).to_vec());
        let controllers = agent
            .read_state_canister_controllers(canister)
            .await
            .unwrap();
        assert_eq!(controllers, vec![Principal::anonymous()]);
        let certificate = agent
            .read_state_raw(vec![vec!["time".into()]], canister)
            .await
            .unwrap();
        agent.verify(&certificate, canister).unwrap();

        // The certificates are really checked: under another root key they fail (the update
        // itself runs; the agent refuses its certificate).
        let mut wrong_key = root_key.clone();
        wrong_key[40] ^= 1;
        agent.set_root_key(wrong_key);
        let refused = inc(&agent, canister).await;
        assert!(
            matches!(refused, Err(AgentError::CertificateVerificationFailed())),
            "{refused:?}"
        );
        assert!(agent.verify(&certificate, canister).is_err());
    });
    // The updates went into the instance's state: the pocket-ic client sees them too, and its
    // query calls carry the data certificate of the new count.
    let reply = pic
        .query_call(
            canister,
            Principal::anonymous(),
            "get_certified",
            Encode!().unwrap(),
        )
        .unwrap();
    let (count, certificate) = Decode!(&reply, u64, Option<Vec<u8>>).unwrap();
    let certificate: Certificate = serde_cbor::from_slice(&certificate.unwrap()).unwrap();
    let path = [
        b"canister".as_slice(),
        canister.as_slice(),
        b"certified_data",
    ];
    let certified = lookup_value(&certificate, path).unwrap();
    assert_eq!((count, certified), (2, 2u64.to_be_bytes().as_slice()));
}

#[test]
fn every_key_type_and_the_anonymous_sender_are_accepted() {
    let (_pic, canister, _, url) = live_counter();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let secp256k1 =
            Secp256k1Identity::from_private_key(k256::SecretKey::from_slice(&[3; 32]).unwrap());
        let p256 =
            Prime256v1Identity::from_private_key(p256::SecretKey::from_slice(&[5; 32]).unwrap());
        assert_eq!(
            inc(&agent(&url, secp256k1).await, canister).await.unwrap(),
            1
        );
        assert_eq!(inc(&agent(&url, p256).await, canister).await.unwrap(), 2);
        let anonymous = agent(&url, AnonymousIdentity).await;
        assert_eq!(inc(&anonymous, canister).await.unwrap(), 3);
        assert_eq!(get(&anonymous, canister).await.unwrap(), 3);
    });
}

#[test]
fn management_calls_through_the_agent_follow_the_effective_canister_id() {
    let (_pic, canister, _, url) = live_counter();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let agent = agent(&url, AnonymousIdentity).await;
        #[derive(candid::CandidType)]
        struct CanisterIdRecord {
            canister_id: Principal,
        }
        let arg = Encode!(&CanisterIdRecord {
            canister_id: canister
        })
        .unwrap();
        // The agent names the canister of the argument as the effective canister id.
        let status = agent
            .update(&Principal::management_canister(), "canister_status")
            .with_effective_canister_id(canister)
            .with_arg(arg.clone())
            .call_and_wait()
            .await;
        assert!(status.is_ok(), "{status:?}");
        // Another effective canister id is refused with 400 before the call runs.
        let wrong = agent
            .update(&Principal::management_canister(), "canister_status")
            .with_effective_canister_id(Principal::management_canister())
            .with_arg(arg)
            .call_and_wait()
            .await;
        match wrong {
            Err(AgentError::HttpError(payload)) => {
                assert_eq!(payload.status, 400);
                let text = String::from_utf8_lossy(&payload.content);
                assert!(
                    text.contains("does not match effective canister id"),
                    "{text}"
                );
            }
            other => panic!("expected a 400, got {other:?}"),
        }
    });
}
