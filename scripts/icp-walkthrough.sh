#!/usr/bin/env bash
# The canister-hooks story by hand, with icp-cli and a local network on ic-sim.
#
# Run it from the repository root (where icp.yaml is) with icp (icp-cli 1.5: `npm install -g
# @icp-sdk/icp-cli`), python3, and didc (the Candid command-line tool, for the upgrade section:
# https://github.com/dfinity/candid/releases), after building the emulator's server and the
# canisters:
#
#     cargo build -p ic-sim-server && bash scripts/build-canisters.sh
#     bash scripts/icp-walkthrough.sh
#
# or read it as a tutorial and paste the commands one by one. It is the story of
# scripts/dfx-walkthrough.sh told with icp, as the IC's documentation now teaches: it deploys the
# monitor and the three example canisters, registers them, then makes things happen and shows the
# monitor's hooks reaching the canisters: low cycles, low memory, a trapping timer, a target that
# stops answering while the monitor is upgraded, the dead letter that follows and its redrive.
# Then the monitor upgrades a canister with scripts/upgrade-canister.sh (a clean release, then a
# broken one that it rolls back), and backs a canister up and restores it. It acts as your default
# icp identity (`icp identity principal`), which controls everything it creates. Besides the
# first build, it takes about four minutes, most of them waiting for the monitor to notice (it
# polls every 5 to 20 seconds here, and hours apart in production).
#
# A line `# expect: TEXT` below a command says what its output contains; `# expect-error: TEXT`
# says it fails with that. They are comments for you, and checks for the test that runs this very
# script with the real icp (tests/tests/icp_walkthrough.rs), so the walkthrough stays true.
set -euo pipefail

# --- A local network on ic-sim ------------------------------------------------------------------
# icp runs a local network through a network launcher, and ICP_CLI_NETWORK_LAUNCHER_PATH names
# ours: ic-sim-server. It also installs stand-ins for the ICP ledger, the cycles ledger and the
# cycles minting canister, so that icp seeds your identities with ICP and cycles as on its own
# launcher. The network listens on port 8000; stop one you already run first (`icp network stop`).
export ICP_CLI_NETWORK_LAUNCHER_PATH="$PWD/target/debug/ic-sim-server"
icp network start -d
# expect: Network started on port 8000
icp cycles balance
# expect: Balance: 1_000_000_000_000_000 cycles

# --- Deploy the monitor -------------------------------------------------------------------------
# `icp deploy` creates the canister through the cycles ledger (here with 10 T cycles from your
# balance), builds it (its canister.yaml runs scripts/build-canisters.sh, which builds every
# canister: a few minutes the first time) and installs it.
icp deploy monitor --cycles 10t
# expect: Deployed canisters
MONITOR=$(icp canister status monitor --id-only)
# Short intervals, so that minutes of real time show everything: poll each canister every 5 to 20
# seconds, give a hook call 5 seconds to answer, retry after 2 to 10 seconds, dead-letter an event
# after 4 attempts. `icp canister call` types the argument with the monitor's interface (its
# `candid:service` metadata). The same could go in `icp deploy --args`, but icp encodes `--args`
# without the interface: a bare `5` is an `int` there, and an `opt` whose content does not fit
# arrives as `null`, so write `opt (5 : nat64)` in `--args`.
icp canister call monitor set_config '(record {
  min_interval_floor_seconds = opt 5;
  default_poll = opt record { min_interval_seconds = 5; max_interval_seconds = 20 };
  call_timeout_seconds = opt 5;
  backoff_base_seconds = opt 2;
  backoff_max_seconds = opt 10;
  delivery_max_attempts = opt 4;
})'
# expect: min_interval_floor_seconds = 5 : nat64
# A monitor shows nothing to anyone but its controllers and admins unless told otherwise; this
# local one is public (a production monitor should not be: README.md, "Who sees what").
icp canister call monitor set_read_settings '(record {
  read_policy = opt variant { Public };
  http_pages = opt variant { Public };
})'
# expect: variant { Ok

# --- Deploy the examples ------------------------------------------------------------------------
# Each example takes the monitor's id in its init argument: only that monitor (or the canister
# itself) may call its hook endpoints. The quotes: the Candid text is in single quotes, and
# '"$MONITOR"' closes them, inserts the id, and opens them again.
icp deploy worker --cycles 10t --args '(record {
  greeting = opt "hello from the worker";
  monitor = opt principal "'"$MONITOR"'";
})'
WORKER=$(icp canister status worker --id-only)
# The gated canister fetches its configuration from the worker during its post-init; until that
# is done it rejects calls with the step it is on. Clients poll `hooks_readiness`, always served.
icp deploy gated --cycles 10t --args '(record {
  config_source = principal "'"$WORKER"'";
  monitor = opt principal "'"$MONITOR"'";
})'
GATED=$(icp canister status gated --id-only)
sleep 5
icp canister call gated hooks_readiness '()' --query
# expect: phase = variant { Ready }
icp canister call gated greet '("ada")'
# expect: hello from the worker, ada!
icp deploy load --cycles 10t --args '(opt record { monitor = opt principal "'"$MONITOR"'" })'
LOAD=$(icp canister status load --id-only)

# The monitor reads its targets' `canister_status`, which only controllers may: add it as a
# controller of each (your identity stays one).
icp canister settings update worker --add-controller "$MONITOR"
icp canister settings update gated --add-controller "$MONITOR"
icp canister settings update load --add-controller "$MONITOR"

# --- Register the canisters with the monitor ----------------------------------------------------
# Registering reads the canister's status at once, so a missing controller shows up here. The
# worker and gated canisters watch their cycles (1 T, far below their 10 T); the load canister
# watches its cycles at 8 T, its heap at 32 MiB (it starts near 1 MiB) and its stable memory at
# 128 MiB (it starts near 24 MiB). A registration may also set its own `poll` bounds,
# `reminder_interval_seconds`, `hysteresis_percent`, a `top_up` policy and a `backup` policy (see
# monitor/monitor.did).
icp canister call monitor register '(record {
  canister_id = principal "'"$WORKER"'";
  label = opt "worker";
  cycles_threshold = opt 1_000_000_000_000;
  hooks = record { on_low_cycles = true; on_low_memory = true; on_error = true };
})'
# expect: variant { Ok = record {
icp canister call monitor register '(record {
  canister_id = principal "'"$GATED"'";
  label = opt "gated";
  cycles_threshold = opt 1_000_000_000_000;
  hooks = record { on_low_cycles = true; on_low_memory = true; on_error = true };
})'
# expect: variant { Ok = record {
icp canister call monitor register '(record {
  canister_id = principal "'"$LOAD"'";
  label = opt "load";
  cycles_threshold = opt 8_000_000_000_000;
  memory = opt record { heap_bytes = opt 33_554_432; stable_bytes = opt 134_217_728 };
  hooks = record { on_low_cycles = true; on_low_memory = true; on_error = true };
})'
# expect: variant { Ok = record {

# Registrations come in pages ordered by canister id: (start after, page size). A query: fast,
# and answered by one node (add nothing for a certified answer through consensus).
icp canister call monitor list_registrations '(null, 50)' --query
# expect: label = "worker"
# expect: label = "gated"
# expect: label = "load"

# --- Low cycles ---------------------------------------------------------------------------------
# The load canister burns 3 T cycles, falling under its 8 T threshold. Within 20 seconds the
# monitor polls it, raises a LowCycles event and delivers it to the canister's `on_low_cycles`.
icp canister call load burn_cycles '(3_000_000_000_000)'
sleep 25
# The monitor's event history, newest first, filtered by canister and kind.
icp canister call monitor events '(record {
  canister_id = opt principal "'"$LOAD"'";
  kind = opt variant { LowCycles };
})' --query
# expect: LowCycles = record {
# expect: delivery = variant { Delivered
# The canister's own record of the hooks it handled.
icp canister call load received '(null)' --query
# expect: LowCycles

# --- Low memory ---------------------------------------------------------------------------------
# The heap grows by 40 MiB, past the 32 MiB threshold: `on_low_memory` follows (the load
# canister frees its ballast in it; the wasm heap itself never shrinks).
icp canister call load grow_heap '(41_943_040)'
sleep 25
icp canister call monitor events '(record {
  canister_id = opt principal "'"$LOAD"'";
  kind = opt variant { LowMemory };
})' --query
# expect: metric = variant { Heap }
# expect: delivery = variant { Delivered
# How the monitor sees the canister: last sample, estimated burn rate, triggers, next poll.
icp canister call monitor canister_state '(principal "'"$LOAD"'")' --query
# expect: name = "memory.heap"

# --- A trapping timer ---------------------------------------------------------------------------
# Job values ending in 666 make the worker's `process` timer trap. The SDK captures the trap
# (the timer keeps its schedule), reports it to the monitor, and the monitor delivers it back
# to the worker's `on_error`, where your code can act on it.
icp canister call worker submit '(vec { 1666 })'
# expect: (vec { 0 : nat64 })
sleep 15
icp canister call worker hooks_recent_errors '()' --query
# expect: poison job
icp canister call monitor events '(record {
  canister_id = opt principal "'"$WORKER"'";
  kind = opt variant { Error };
})' --query
# expect: delivery = variant { Delivered
# The worker's `on_error` handler keeps the last error and a count. Drop the poison job (key 0,
# from `submit`).
icp canister call worker stats '()' --query
# expect: poison job value 1666
icp canister call worker discard '(0)'
# expect: (true)

# --- A target that stops answering, and a safe monitor upgrade ----------------------------------
# The load canister's hook handlers now hang (they wait round after round), then its stable
# memory grows past 128 MiB. Rather than wait for the next poll, ask the monitor for one now (an
# admin may). It raises a LowMemory event and calls `on_low_memory`, which does not answer.
icp canister call load set_hook_mode '(variant { Slow = 4_000_000_000 : nat32 })'
icp canister call load grow_stable '(117_440_512)'
# expect: variant { Ok
icp canister call monitor poll_now '(principal "'"$LOAD"'")'
# expect: variant { Ok }
icp canister call monitor events '(record { canister_id = opt principal "'"$LOAD"'"; limit = opt 1 })' --query
# expect: metric = variant { Stable }
# expect: delivery = variant { Pending }

# Now upgrade the monitor the safe way: stop it, install the new module, start it. Stopping waits
# for the monitor's open calls, here the one to the hanging canister; every call the monitor makes
# is bounded-wait, so it ends within its 5-second timeout and a hanging target never blocks an
# upgrade. `icp canister install` installs the module `icp deploy` built; `--yes` answers icp's
# check that the new interface is compatible with the old one; the argument `(null)` keeps the
# configuration, which lives in stable memory like everything else.
icp canister stop monitor
icp canister install monitor --mode upgrade --yes --args '(null)'
icp canister start monitor
# The registrations survived the upgrade, and the pending delivery resumes.
icp canister call monitor list_registrations '(null, 50)' --query
# expect: label = "worker"
# expect: label = "gated"
# expect: label = "load"

# The canister's SDK turns the retries away while the first handler still runs ("being handled by
# an earlier delivery"); after 4 attempts the event is a dead letter, kept with its last error:
# (canister, start after, page size).
sleep 40
icp canister call monitor dead_letters '(opt principal "'"$LOAD"'", null, 50)' --query
# expect: metric = variant { Stable }
# expect: reason = "gave up after 4 attempts

# --- Redrive ------------------------------------------------------------------------------------
# The canister answers again; put its dead letters back in the outbox. The event keeps its id,
# so the SDK recognises it if the hung attempt had already run its handler.
icp canister call load set_hook_mode '(variant { Normal })'
icp canister call monitor redrive_canister '(principal "'"$LOAD"'")'
# expect: (variant { Ok = 1 : nat64 })
sleep 15
icp canister call monitor events '(record {
  canister_id = opt principal "'"$LOAD"'";
  kind = opt variant { LowMemory };
  limit = opt 1;
})' --query
# expect: metric = variant { Stable }
# expect: delivery = variant { Delivered

# --- Metrics and the status page ----------------------------------------------------------------
# The monitor serves Prometheus metrics and an HTML status page through `http_request`. Its
# answers are not certified (they change with every poll), so fetch them through the raw domain of
# the network's gateway; open the same URLs in a browser. (ic-sim's gateway serves every domain
# as raw: it checks no certification.)
curl -s "http://${MONITOR}.raw.localhost:8000/metrics"
# expect: monitor_registrations 3
# expect: monitor_dead_lettered_total 1
# expect: monitor_redriven_total 1
curl -s "http://${MONITOR}.raw.localhost:8000/"
# expect: <h1>canister-hooks monitor</h1>

# --- Upgrading a canister through the monitor ---------------------------------------------------
# The monitor can also upgrade the canisters it controls, safely: scripts/upgrade-canister.sh
# uploads the new module through it in chunks of at most 1 MiB (the canister's chunk store), starts
# its pipeline (maintenance, drain, stop, snapshot, install, module check, start, readiness) and
# prints each step as it ends. `--cli icp` drives icp (the default is the CLI installed). Here the
# load canister gets a fresh build of its own module, the uncompressed one, over 1 MiB: two
# chunks. `--arg` is the argument of the new code's post_upgrade, typed against the module's
# Candid interface (the script encodes it with didc).
bash scripts/upgrade-canister.sh load target/canisters/example-load.wasm --cli icp \
  --arg '(opt record { monitor = opt principal "'"$MONITOR"'" })'
# expect: chunk 2/
# expect: take snapshot
# expect: install
# expect: await readiness
# expect: of load succeeded

# A broken release: with this argument the new code's post-init needs a dependency that does not
# exist, so it never becomes ready. The pipeline gives readiness 20 seconds (`--ready-timeout`; 5
# minutes by default), then loads back the snapshot it took before the install: the canister runs
# the code and state it had. The script exits with status 3, hence `|| true` here.
bash scripts/upgrade-canister.sh load target/canisters/example-load.wasm --cli icp --ready-timeout 20 \
  --arg '(opt record {
    monitor = opt principal "'"$MONITOR"'";
    fault = opt variant { NeverReady };
  })' || true
# expect-error: FAILED after 20
# expect-error: rollback: load snapshot
# expect-error: rolled back after await readiness failed: not done within 20 s
icp canister call load hooks_readiness '()' --query
# expect: phase = variant { Ready }

# --- Backups and restores -----------------------------------------------------------------------
# The monitor backs up the canisters it controls: on a schedule (`set_backup_policy`, or the
# `backup` field of `register`: README.md, "Backups and restores"), or now with `start_backup`. A
# `Stopped` backup drains and stops the canister around the snapshot, like the upgrade pipeline.
# The load canister has served one client request; back it up.
icp canister call load serve '()'
# expect: (1 : nat64)
icp canister call monitor start_backup '(principal "'"$LOAD"'", opt variant { Stopped })'
# expect: variant { Ok = record {
sleep 10
icp canister call monitor backups '(principal "'"$LOAD"'")' --query
# expect: snapshot_id = blob
# Two more requests after the backup; then restore it. icp lists the canister's snapshots (the
# upgrade pipeline's too) with their ids in hex; the newest is the backup. Candid writes a blob's
# bytes as `\xx`.
icp canister call load serve '()'
icp canister call load serve '()'
# expect: (3 : nat64)
SNAPSHOTS=$(icp canister snapshot list load --json)
SNAPSHOT_BLOB=$(python3 -c 'import json, sys
newest = max(json.loads(sys.argv[1])["snapshots"], key=lambda s: s["taken_at_timestamp"])
print("".join("\\" + newest["snapshot_id"][i:i + 2] for i in range(0, len(newest["snapshot_id"]), 2)))' "$SNAPSHOTS")
icp canister call monitor start_restore '(record {
  canister_id = principal "'"$LOAD"'";
  snapshot_id = blob "'"$SNAPSHOT_BLOB"'";
})'
# expect: variant { Ok = record {
sleep 10
icp canister call monitor operation_status '(principal "'"$LOAD"'")' --query
# expect: Restore = record {
# expect: Succeeded
icp canister call load load_status '()' --query
# expect: requests_served = 1 : nat64
# The monitor keeps the operations it ran (upgrades, backups, restores), newest first.
icp canister call monitor operations '(record { canister_id = opt principal "'"$LOAD"'" })' --query
# expect: RolledBack
# expect: Succeeded

# --- Done ---------------------------------------------------------------------------------------
# Stop the network; its state goes with it (`icp network start -d` starts afresh).
icp network stop
# expect: Network stopped successfully
