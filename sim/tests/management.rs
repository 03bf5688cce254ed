//! The management canister: install modes and upgrade hooks, controller checks, status,
//! snapshots, logs, chunked install, storage fees (each test names the spec rule it checks).

mod common;

use candid::{Encode, Principal};
use common::*;
use ic_sim::management_types::{CanisterStatusType, UpgradeFlags};
use ic_sim::{ErrorCode, Ingress, RejectCode, Sim, SimConfig};
use std::time::Duration;

fn events(sim: &mut Sim, id: Principal) -> Vec<String> {
    dec(&sim.query_call(id, admin(), "events", enc(())).unwrap())
}

#[test]
fn upgrade_keeps_stable_memory_resets_heap_and_runs_hooks_in_order() {
    // Spec (install_code, upgrade): pre_upgrade runs on the old code, stable memory is kept, the
    // heap is replaced, then post_upgrade runs on the new code.
    let (mut sim, id) = sim_with_probe();
    sim.update_call(id, admin(), "set_heap", enc(9u64)).unwrap();
    sim.upgrade_canister(id, wasm("sim-test-probe"), enc(()), Some(admin()))
        .unwrap();
    assert_eq!(
        events(&mut sim, id),
        vec!["init", "pre_upgrade", "post_upgrade"]
    );
    assert_eq!(
        dec::<u64>(&sim.query_call(id, admin(), "get_heap", enc(())).unwrap()),
        0
    );
    // skip_pre_upgrade skips the hook.
    let flags = UpgradeFlags {
        skip_pre_upgrade: Some(true),
        wasm_memory_persistence: None,
    };
    sim.upgrade_canister_with_flags(id, wasm("sim-test-probe"), enc(()), Some(admin()), flags)
        .unwrap();
    assert_eq!(
        events(&mut sim, id),
        vec!["init", "pre_upgrade", "post_upgrade", "post_upgrade"]
    );
    // Reinstall wipes stable memory.
    sim.reinstall_canister(id, wasm("sim-test-probe"), enc(()), Some(admin()))
        .unwrap();
    assert_eq!(events(&mut sim, id), vec!["init"]);
    let status = sim.canister_status(id, Some(admin())).unwrap();
    assert_eq!(
        status.version, 4,
        "install, two upgrades and a reinstall each bump the canister version"
    );
}

#[test]
fn trapping_pre_upgrade_leaves_old_code_and_state_intact() {
    // Spec: if pre_upgrade traps, the upgrade fails and the canister keeps its code and state.
    let (mut sim, id) = sim_with_probe();
    sim.update_call(id, admin(), "set_heap", enc(5u64)).unwrap();
    sim.update_call(id, admin(), "set_trap_in_pre_upgrade", enc(true))
        .unwrap();
    let hash_before = sim.canister_status(id, Some(admin())).unwrap().module_hash;
    let err = sim
        .upgrade_canister(id, wasm("sim-test-counter"), enc(()), Some(admin()))
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_mentions(&err, "pre_upgrade refuses");
    assert_eq!(
        dec::<u64>(&sim.query_call(id, admin(), "get_heap", enc(())).unwrap()),
        5
    );
    assert_eq!(events(&mut sim, id), vec!["init"]);
    assert_eq!(
        sim.canister_status(id, Some(admin())).unwrap().module_hash,
        hash_before
    );
}

#[test]
fn wasm_memory_persistence_keep_is_rejected_clearly() {
    let (mut sim, id) = sim_with_probe();
    let flags = UpgradeFlags {
        skip_pre_upgrade: None,
        wasm_memory_persistence: Some(ic_sim::management_types::WasmMemoryPersistence::Keep),
    };
    let err = sim
        .upgrade_canister_with_flags(id, wasm("sim-test-probe"), enc(()), Some(admin()), flags)
        .unwrap_err();
    assert_mentions(&err, "enhanced orthogonal persistence");
}

#[test]
fn only_controllers_can_control_a_canister() {
    // Spec: install_code, stop/start, update_settings, ... are controller-only; canister_status
    // too under the default status_visibility (controllers), refused with its own error code.
    let (mut sim, id) = sim_with_probe();
    let stranger = Principal::from_slice(&[0x5e, 0x01]);
    let status_err = sim.canister_status(id, Some(stranger)).unwrap_err();
    assert_eq!(
        status_err.error_code,
        ErrorCode::CanisterStatusAccessDenied,
        "{}",
        status_err.message
    );
    assert_mentions(&status_err, "Only the controllers of the canister");
    for err in [
        sim.upgrade_canister(id, wasm("sim-test-probe"), enc(()), Some(stranger))
            .unwrap_err(),
        sim.stop_canister(id, Some(stranger)).unwrap_err(),
        sim.set_controllers(id, Some(stranger), vec![stranger])
            .unwrap_err(),
        sim.take_canister_snapshot(id, Some(stranger), None)
            .map(|_| ())
            .unwrap_err(),
    ] {
        assert_invalid_controller(&err);
        assert!(err.message.contains("Only the controllers of the canister"));
    }
    assert!(sim.fetch_canister_logs(id, stranger).is_err());
    sim.set_controllers(id, Some(admin()), vec![admin(), stranger])
        .unwrap();
    assert!(sim.canister_status(id, Some(stranger)).is_ok());
    assert_eq!(sim.controllers(id).unwrap(), vec![admin(), stranger]);
}

#[test]
fn canister_status_reports_real_memory_and_cycles() {
    // Spec: canister_status returns status, cycles, memory_size and memory_metrics, module_hash.
    let (mut sim, id) = sim_with_probe();
    let s = sim.canister_status(id, Some(admin())).unwrap();
    assert_eq!(s.status, CanisterStatusType::Running);
    let wasm_memory: u64 = s
        .memory_metrics
        .wasm_memory_size
        .0
        .clone()
        .try_into()
        .unwrap();
    let stable: u64 = s
        .memory_metrics
        .stable_memory_size
        .0
        .clone()
        .try_into()
        .unwrap();
    let binary: u64 = s
        .memory_metrics
        .wasm_binary_size
        .0
        .clone()
        .try_into()
        .unwrap();
    assert!(wasm_memory >= 65536 && wasm_memory.is_multiple_of(65536));
    assert_eq!(stable, 65536, "init recorded an event in one stable page");
    assert_eq!(binary, wasm("sim-test-probe").len() as u64);
    let total: u64 = s.memory_size.0.clone().try_into().unwrap();
    assert!(total >= wasm_memory + stable + binary);
    let cycles: u128 = s.cycles.0.clone().try_into().unwrap();
    assert_eq!(cycles, sim.cycle_balance(id).unwrap());
    use sha2::Digest;
    assert_eq!(
        s.module_hash.unwrap(),
        sha2::Sha256::digest(wasm("sim-test-probe")).to_vec()
    );
    sim.update_call(id, admin(), "grow_heap", enc(16u64))
        .unwrap();
    let s2 = sim.canister_status(id, Some(admin())).unwrap();
    assert!(s2.memory_metrics.wasm_memory_size > s.memory_metrics.wasm_memory_size);
}

#[test]
fn stop_waits_for_open_call_contexts() {
    // Spec: stop_canister completes once the canister has no open call contexts; meanwhile it is
    // "stopping" and rejects new calls.
    let (mut sim, id, _, pending) = probe_awaiting_silent_counter(30);
    sim.tick();
    let stop = submit_stop(&mut sim, id);
    sim.tick();
    sim.tick();
    assert!(
        sim.ingress_status(&stop).is_none(),
        "stopping while a call is open"
    );
    let s = sim.canister_status(id, Some(admin())).unwrap();
    assert_eq!(s.status, CanisterStatusType::Stopping);
    assert_eq!(
        update_err(&mut sim, id, "set_heap", enc(1u64)).error_code,
        ErrorCode::CanisterStopping
    );
    sim.advance_time(Duration::from_secs(31));
    sim.await_ingress(&pending).unwrap();
    sim.await_ingress(&stop).unwrap();
    assert_eq!(
        sim.canister_status(id, Some(admin())).unwrap().status,
        CanisterStatusType::Stopped
    );
    sim.delete_canister(id, Some(admin())).unwrap();
    assert!(!sim.canister_exists(id));
}

#[test]
fn snapshot_load_restores_state() {
    // Spec: load_canister_snapshot restores heap, stable memory and module taken by
    // take_canister_snapshot.
    let (mut sim, id) = sim_with_probe();
    sim.update_call(id, admin(), "set_heap", enc(1u64)).unwrap();
    let snap = sim.take_canister_snapshot(id, Some(admin()), None).unwrap();
    sim.update_call(id, admin(), "set_heap", enc(2u64)).unwrap();
    sim.upgrade_canister(id, wasm("sim-test-probe"), enc(()), Some(admin()))
        .unwrap();
    assert_eq!(events(&mut sim, id).len(), 3);
    assert_eq!(
        sim.list_canister_snapshots(id, Some(admin()))
            .unwrap()
            .len(),
        1
    );
    sim.load_canister_snapshot(id, Some(admin()), snap.id.clone())
        .unwrap();
    assert_eq!(
        dec::<u64>(&sim.query_call(id, admin(), "get_heap", enc(())).unwrap()),
        1
    );
    assert_eq!(events(&mut sim, id), vec!["init"]);
    sim.delete_canister_snapshot(id, Some(admin()), snap.id.clone())
        .unwrap();
    let err = sim
        .load_canister_snapshot(id, Some(admin()), snap.id)
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterSnapshotNotFound);
}

#[test]
fn logs_contain_prints_and_traps_in_order() {
    // fetch_canister_logs returns debug_print output and trap messages with increasing indices.
    let (mut sim, id) = sim_with_probe();
    sim.update_call(id, admin(), "log", enc("hello".to_string()))
        .unwrap();
    let _ = sim.update_call(id, admin(), "write_then_trap", enc(1u64));
    let logs = sim.fetch_canister_logs(id, admin()).unwrap();
    let text: Vec<String> = logs
        .iter()
        .map(|r| String::from_utf8_lossy(&r.content).into_owned())
        .collect();
    assert_eq!(text[0], "hello");
    assert!(text[1].contains(&format!("Canister {id} trapped: boom")));
    assert!(logs[1].idx > logs[0].idx);
    // fetch_canister_logs is a query only.
    let payload = enc(ic_sim::management_types::FetchCanisterLogsArgs {
        canister_id: id,
        filter: None,
    });
    let err = sim
        .submit_ingress(Ingress {
            sender: admin(),
            canister_id: Principal::management_canister(),
            method: "fetch_canister_logs".into(),
            payload,
            effective_canister_id: Some(id),
        })
        .unwrap_err();
    assert!(err.message.contains("query"));
}

#[test]
fn log_filters_are_half_open_ranges() {
    // ic-management-canister-types 0.11: `by_idx` and `by_timestamp_nanos` select [start, end).
    let (mut sim, id) = sim_with_probe();
    for line in ["a", "b", "c"] {
        sim.update_call(id, admin(), "log", enc(line.to_string()))
            .unwrap();
    }
    let all = sim.fetch_canister_logs(id, admin()).unwrap();
    let fetch = |sim: &mut Sim, filter| {
        let args = ic_sim::management_types::FetchCanisterLogsArgs {
            canister_id: id,
            filter: Some(filter),
        };
        let bytes = sim
            .query_call(
                Principal::management_canister(),
                admin(),
                "fetch_canister_logs",
                enc(args),
            )
            .unwrap();
        dec::<ic_sim::management_types::FetchCanisterLogsResult>(&bytes)
            .canister_log_records
            .iter()
            .map(|r| r.idx)
            .collect::<Vec<u64>>()
    };
    use ic_sim::management_types::CanisterLogFilter::{ByIdx, ByTimestampNanos};
    let by_idx = ByIdx {
        start: all[0].idx,
        end: all[2].idx,
    };
    assert_eq!(fetch(&mut sim, by_idx), vec![all[0].idx, all[1].idx]);
    let by_time = ByTimestampNanos {
        start: all[1].timestamp_nanos,
        end: all[2].timestamp_nanos + 1,
    };
    assert_eq!(fetch(&mut sim, by_time), vec![all[1].idx, all[2].idx]);
}

#[test]
fn unknown_management_method_is_rejected_by_name() {
    let mut sim = Sim::new(SimConfig::default());
    let err = sim
        .submit_ingress(Ingress {
            sender: admin(),
            canister_id: Principal::management_canister(),
            method: "bitcoin_get_balance".into(),
            payload: enc(()),
            effective_canister_id: None,
        })
        .unwrap_err();
    assert_mentions(&err, "bitcoin_get_balance");
}

#[test]
fn gzipped_and_chunked_installs_work() {
    // The IC accepts gzip-compressed modules (magic 1f 8b) and chunked installation.
    let mut sim = Sim::new(SimConfig::default());
    let a = sim.create_canister_with_settings(Some(admin()), None);
    let gz = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../target/canisters/sim-test-counter.wasm.gz"),
    )
    .unwrap();
    sim.install_canister(a, gz, Encode!().unwrap(), Some(admin()))
        .unwrap();
    assert_eq!(
        dec::<u64>(
            &sim.update_call(a, admin(), "inc", Encode!().unwrap())
                .unwrap()
        ),
        1
    );

    let b = sim.create_canister_with_settings(Some(admin()), None);
    let module = wasm("sim-test-counter");
    let mut hashes = Vec::new();
    for chunk in module.chunks(200_000) {
        let args = ic_sim::management_types::UploadChunkArgs {
            canister_id: b,
            chunk: chunk.to_vec(),
        };
        let id = sim
            .submit_ingress(Ingress {
                sender: admin(),
                canister_id: Principal::management_canister(),
                method: "upload_chunk".into(),
                payload: enc(args),
                effective_canister_id: Some(b),
            })
            .unwrap();
        hashes.push(dec::<ic_sim::management_types::ChunkHash>(
            &sim.await_ingress(&id).unwrap(),
        ));
    }
    use sha2::Digest;
    let args = ic_sim::management_types::InstallChunkedCodeArgs {
        mode: ic_sim::management_types::CanisterInstallMode::Install,
        target_canister: b,
        store_canister: None,
        chunk_hashes_list: hashes,
        wasm_module_hash: sha2::Sha256::digest(&module).to_vec(),
        arg: Encode!().unwrap(),
        sender_canister_version: None,
    };
    let id = sim
        .submit_ingress(Ingress {
            sender: admin(),
            canister_id: Principal::management_canister(),
            method: "install_chunked_code".into(),
            payload: enc(args),
            effective_canister_id: Some(b),
        })
        .unwrap();
    sim.await_ingress(&id).unwrap();
    assert_eq!(
        dec::<u64>(
            &sim.update_call(b, admin(), "inc", Encode!().unwrap())
                .unwrap()
        ),
        1
    );
}

#[test]
fn install_rejects_unknown_imports_by_name() {
    // Spec: a module importing a function the system does not provide cannot be installed.
    let mut sim = Sim::new(SimConfig::default());
    let id = sim.create_canister();
    let wasm =
        wat::parse_str(r#"(module (import "ic0" "no_such_api" (func)) (memory 1))"#).unwrap();
    let err = sim.install_canister(id, wasm, vec![], None).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterInvalidWasm);
    assert_mentions(&err, "no_such_api");
}

#[test]
fn storage_is_charged_as_time_passes_and_empty_balance_uninstalls() {
    // Cycles: storage costs 127_000 cycles per GiB per second (13-node subnet); a canister whose
    // balance reaches zero is uninstalled.
    let (mut sim, id) = sim_with_probe();
    let before = sim.cycle_balance(id).unwrap();
    let memory = memory_size(&mut sim, id);
    let before = before.min(sim.cycle_balance(id).unwrap());
    sim.advance_time(Duration::from_secs(1000));
    let charged = before - sim.cycle_balance(id).unwrap();
    let expected = memory as u128 * 127_000 * 1000 / (1u128 << 30);
    assert!(
        charged.abs_diff(expected) <= expected / 100 + 1,
        "charged {charged}, expected {expected}"
    );
    sim.set_cycle_balance(id, 1).unwrap();
    sim.advance_time(Duration::from_secs(10));
    let s = sim.canister_status(id, Some(admin())).unwrap();
    assert!(s.module_hash.is_none(), "uninstalled when out of cycles");
}

#[test]
fn create_canister_from_a_canister_needs_the_fee() {
    // Spec: create_canister takes the cycles attached to the call; the creation fee is deducted.
    let (mut sim, id) = sim_with_probe();
    let arg = enc(ic_sim::management_types::CreateCanisterArgs {
        settings: None,
        sender_canister_version: None,
    });
    let r = probe_call(
        &mut sim,
        id,
        Principal::management_canister(),
        "create_canister",
        arg,
    );
    let (code, message) = r.unwrap_err();
    assert_eq!(code, RejectCode::CanisterReject as u32);
    assert!(message.contains("fee"), "{message}");
}

#[test]
fn storage_fees_accumulate_over_short_rounds() {
    // Storage is charged for all elapsed time, including many short rounds (no rounding to zero).
    let config = SimConfig {
        round_time_ns: 100_000_000, // 0.1 s per round
        ..SimConfig::default()
    };
    let mut sim = Sim::new(config);
    let id = sim.create_canister_with_settings(Some(admin()), None);
    sim.install_canister(
        id,
        wasm("sim-test-counter"),
        Encode!().unwrap(),
        Some(admin()),
    )
    .unwrap();
    let memory = memory_size(&mut sim, id);
    let before = sim.cycle_balance(id).unwrap();
    for _ in 0..100 {
        sim.tick();
    }
    let charged = before - sim.cycle_balance(id).unwrap();
    let expected = memory as u128 * 127_000 * 10 / (1u128 << 30);
    assert!(
        charged.abs_diff(expected) <= expected / 10 + 1,
        "charged {charged}, expected {expected}"
    );
}

#[test]
fn canister_info_and_deposit_cycles_from_a_canister() {
    // Spec: canister_info (canister callers only) returns controllers, module hash and recent
    // changes; deposit_cycles moves the attached cycles to the target.
    let (mut sim, id) = sim_with_probe();
    let info = canister_info(&mut sim, id, id, 5);
    assert_eq!(info.controllers, vec![admin()]);
    assert_eq!(info.total_num_changes, 2, "creation and installation");
    assert_eq!(info.recent_changes.len(), 2);
    assert!(info.module_hash.is_some());
    // Ingress may not call canister_info.
    let arg = enc(ic_sim::management_types::CanisterInfoArgs {
        canister_id: id,
        num_requested_changes: Some(5),
    });
    let err = sim
        .submit_ingress(Ingress {
            sender: admin(),
            canister_id: Principal::management_canister(),
            method: "canister_info".into(),
            payload: arg,
            effective_canister_id: Some(id),
        })
        .unwrap_err();
    assert_mentions(&err, "Only canisters");
    // deposit_cycles with no cycles attached leaves the balance (minus fees) unchanged.
    let arg = enc(ic_sim::management_types::CanisterIdRecord { canister_id: id });
    let r = probe_call(
        &mut sim,
        id,
        Principal::management_canister(),
        "deposit_cycles",
        arg,
    );
    assert!(r.is_ok());
}

#[test]
fn canister_metadata_serves_public_sections_to_all_and_private_ones_to_controllers() {
    // Spec: canister_metadata (canister callers only) returns the content of the custom section
    // `icp:public <name>` to anyone, `icp:private <name>` only to controllers.
    let (mut sim, probe) = sim_with_probe();
    let id = sim.create_canister_with_settings(Some(admin()), None);
    let wat = r#"(module (memory 1)
        (@custom "icp:public candid:service" "service : {}")
        (@custom "icp:private secret" "42"))"#;
    sim.install_canister(id, wat::parse_str(wat).unwrap(), vec![], Some(admin()))
        .unwrap();
    let read = |sim: &mut ic_sim::Sim, name: &str| {
        let arg = enc(ic_sim::management_types::CanisterMetadataArgs {
            canister_id: id,
            name: name.into(),
        });
        probe_call(
            sim,
            probe,
            Principal::management_canister(),
            "canister_metadata",
            arg,
        )
        .map(|r| dec::<ic_sim::management_types::CanisterMetadataResult>(&r).value)
    };
    assert_eq!(read(&mut sim, "candid:service").unwrap(), b"service : {}");
    let (code, message) = read(&mut sim, "secret").unwrap_err();
    assert_eq!(code, RejectCode::CanisterReject as u32);
    assert!(message.contains("secret"), "{message}");
    assert!(read(&mut sim, "absent").is_err());
    sim.set_controllers(id, Some(admin()), vec![admin(), probe])
        .unwrap();
    assert_eq!(read(&mut sim, "secret").unwrap(), b"42");
}
