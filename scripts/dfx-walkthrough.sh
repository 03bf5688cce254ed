#!/usr/bin/env bash
# The canister-hooks story by hand, with dfx and a local replica.
#
# Run it from the repository root (where dfx.json is) with dfx, python3 and didc (the Candid
# command-line tool, for the last section) installed:
#
#     bash scripts/dfx-walkthrough.sh
#
# or read it as a tutorial and paste the commands one by one. It deploys the monitor and the
# three example canisters, registers them, then makes things happen and shows the monitor's
# hooks reaching the canisters: low cycles, low memory, a trapping timer, a target that stops
# answering while the monitor is upgraded, the dead letter that follows and its redrive. Last,
# the monitor upgrades a canister with scripts/upgrade-canister.sh: a clean release, then a
# broken one that it rolls back. Besides the first build, it takes about seven minutes, most of
# them waiting for the monitor to notice (it polls every 10 to 60 seconds here, and hours apart
# in production).
#
# A line `# expect: TEXT` below a command says what its output contains; `# expect-error: TEXT`
# says it fails with that. They are comments for you, and checks for the test that runs this very
# script against an emulated replica (tests/tests/dfx_walkthrough.rs), so the walkthrough stays
# true.
set -euo pipefail

# --- A clean local replica -----------------------------------------------------------------
# `--clean` starts from an empty state; stop a replica you already run first (`dfx stop`).
dfx start --background --clean

# --- Create the canisters -------------------------------------------------------------------
# Every canister of dfx.json, each with 10 T cycles, so that the thresholds below mean the same
# with every dfx version (the default balance differs between versions).
dfx canister create --all --with-cycles 10000000000000

# Their ids, for the arguments below.
MONITOR=$(dfx canister id monitor)
WORKER=$(dfx canister id worker)
GATED=$(dfx canister id gated)
LOAD=$(dfx canister id load)

# --- Deploy the monitor ---------------------------------------------------------------------
# `dfx deploy` builds every canister first (scripts/build-canisters.sh, a few minutes the first
# time). The init argument sets short intervals so that minutes of real time show everything:
# poll each canister every 10 to 60 seconds, give a hook call 20 seconds to answer, retry after
# 5 to 60 seconds, dead-letter an event after 4 attempts. A monitor shows nothing to anyone but
# its controllers and admins unless told otherwise; this local one is public, so that a browser
# shows its pages (a production monitor should not be: README.md, "Who sees what").
dfx deploy monitor --argument '(opt record {
  config = opt record {
    min_interval_floor_seconds = opt 10;
    default_poll = opt record { min_interval_seconds = 10; max_interval_seconds = 60 };
    call_timeout_seconds = opt 20;
    backoff_base_seconds = opt 5;
    backoff_max_seconds = opt 60;
    delivery_max_attempts = opt 4;
  };
  read_settings = opt record {
    read_policy = opt variant { Public };
    http_pages = opt variant { Public };
  };
})'

# The monitor reads its targets' `canister_status`, which only controllers may: add it as a
# controller of each (your identity stays one).
dfx canister update-settings worker --add-controller "$MONITOR"
dfx canister update-settings gated --add-controller "$MONITOR"
dfx canister update-settings load --add-controller "$MONITOR"

# --- Deploy the examples --------------------------------------------------------------------
# Each example takes the monitor's id in its init argument: only that monitor (or the canister
# itself) may call its hook endpoints. The quotes: the Candid text is in single quotes, and
# '"$MONITOR"' closes them, inserts the id, and opens them again.
dfx deploy worker --argument '(record {
  greeting = opt "hello from the worker";
  monitor = opt principal "'"$MONITOR"'";
})'
# The gated canister fetches its configuration from the worker during its post-init.
dfx deploy gated --argument '(record {
  config_source = principal "'"$WORKER"'";
  monitor = opt principal "'"$MONITOR"'";
})'

# Until its post-init is done (raw_rand seeding, then the configuration fetch), the gated canister
# rejects calls with the step it is on. You see this if you are quick; `|| true` lets the script
# go on either way.
dfx canister call gated greet '("ada")' || true
# expect-error: canister is initializing

# Clients poll `hooks_readiness`, which is always served; a few seconds later it says Ready.
sleep 10
dfx canister call gated hooks_readiness
# expect: phase = variant { Ready }
dfx canister call gated greet '("ada")'
# expect: hello from the worker

dfx deploy load --argument '(opt record { monitor = opt principal "'"$MONITOR"'" })'

# --- Register the canisters with the monitor -------------------------------------------------
# Registering reads the canister's status at once, so a missing controller shows up here. The
# worker and gated canisters watch their cycles (1 T, far below their 10 T); the load canister
# watches its cycles at 8 T, its heap at 32 MiB (it starts near 1 MiB) and its stable memory at
# 128 MiB (it starts near 24 MiB). A registration may also set its own `poll` bounds,
# `reminder_interval_seconds`, `hysteresis_percent` and a `top_up` policy (see monitor.did).
dfx canister call monitor register '(record {
  canister_id = principal "'"$WORKER"'";
  label = opt "worker";
  cycles_threshold = opt 1_000_000_000_000;
  hooks = record { on_low_cycles = true; on_low_memory = true; on_error = true };
})'
# expect: variant { Ok = record {
dfx canister call monitor register '(record {
  canister_id = principal "'"$GATED"'";
  label = opt "gated";
  cycles_threshold = opt 1_000_000_000_000;
  hooks = record { on_low_cycles = true; on_low_memory = true; on_error = true };
})'
# expect: variant { Ok = record {
dfx canister call monitor register '(record {
  canister_id = principal "'"$LOAD"'";
  label = opt "load";
  cycles_threshold = opt 8_000_000_000_000;
  memory = opt record { heap_bytes = opt 33_554_432; stable_bytes = opt 134_217_728 };
  hooks = record { on_low_cycles = true; on_low_memory = true; on_error = true };
})'
# expect: variant { Ok = record {

# Registrations come in pages ordered by canister id: (start after, page size).
dfx canister call monitor list_registrations '(null, 50)'
# expect: label = "worker"
# expect: label = "gated"
# expect: label = "load"

# --- Low cycles -------------------------------------------------------------------------------
# The load canister burns 3 T cycles, falling under its 8 T threshold. Within a minute the monitor
# polls it, raises a LowCycles event and delivers it to the canister's `on_low_cycles`.
dfx canister call load burn_cycles '(3_000_000_000_000)'
sleep 90
# The monitor's event history, newest first, filtered by canister and kind.
dfx canister call monitor events '(record {
  canister_id = opt principal "'"$LOAD"'";
  kind = opt variant { LowCycles };
})'
# expect: LowCycles = record {
# expect: delivery = variant { Delivered
# The canister's own record of the hooks it handled.
dfx canister call load received '(null)'
# expect: LowCycles

# --- Low memory -------------------------------------------------------------------------------
# The heap grows by 40 MiB, past the 32 MiB threshold: `on_low_memory` follows (the load
# canister frees its ballast in it; the wasm heap itself never shrinks).
dfx canister call load grow_heap '(41_943_040)'
sleep 90
dfx canister call monitor events '(record {
  canister_id = opt principal "'"$LOAD"'";
  kind = opt variant { LowMemory };
})'
# expect: metric = variant { Heap }
# expect: delivery = variant { Delivered
# How the monitor sees the canister: last sample, estimated burn rate, triggers, next poll.
dfx canister call monitor canister_state '(principal "'"$LOAD"'")'
# expect: armed = false; name = "memory.heap"

# --- A trapping timer ---------------------------------------------------------------------------
# Job values ending in 666 make the worker's `process` timer trap. The SDK captures the trap
# (the timer keeps its schedule), reports it to the monitor, and the monitor delivers it back
# to the worker's `on_error`, where your code can act on it.
dfx canister call worker submit '(vec { 1666 })'
# expect: vec { 0 : nat64 }
sleep 30
dfx canister call worker hooks_recent_errors
# expect: poison job
dfx canister call monitor events '(record {
  canister_id = opt principal "'"$WORKER"'";
  kind = opt variant { Error };
})'
# expect: delivery = variant { Delivered
# The worker's `on_error` handler keeps the last error and a count (ledger.last_error and
# errors_seen: the timer traps every 2 seconds until the job goes). Drop the poison job (key 0,
# from `submit`).
dfx canister call worker stats
# expect: poison job value 1666
dfx canister call worker discard '(0)'
# expect: true

# --- A target that stops answering, and a safe monitor upgrade --------------------------------
# The load canister's hook handlers now hang (they wait round after round), then its stable
# memory grows past 128 MiB. Rather than wait for the next poll, ask the monitor for one now (an
# admin may). It raises a LowMemory event and calls `on_low_memory`, which does not answer.
dfx canister call load set_hook_mode '(variant { Slow = 4_000_000_000 : nat32 })'
dfx canister call load grow_stable '(117_440_512)'
# expect: variant { Ok
dfx canister call monitor poll_now '(principal "'"$LOAD"'")'
# expect: variant { Ok }
sleep 5
dfx canister call monitor events '(record { canister_id = opt principal "'"$LOAD"'"; limit = opt 1 })'
# expect: metric = variant { Stable }
# expect: delivery = variant { Pending }

# Now upgrade the monitor the safe way: stop it, install the new module, start it. Stopping waits
# for the monitor's open calls, here the one to the hanging canister; every call the monitor makes
# is bounded-wait, so it ends within its 20-second timeout and a hanging target never blocks an
# upgrade. `--upgrade-unchanged` because this walkthrough installs the same build; the argument
# `(null)` keeps the configuration, which lives in stable memory like everything else.
dfx canister stop monitor
dfx canister install monitor --mode upgrade --upgrade-unchanged --argument '(null)'
dfx canister start monitor
# The registrations survived the upgrade, and the pending delivery resumes.
dfx canister call monitor list_registrations '(null, 50)'
# expect: label = "worker"
# expect: label = "gated"
# expect: label = "load"

# The canister's SDK turns the retries away while the first handler still runs ("being handled by
# an earlier delivery"); after 4 attempts the event is a dead letter, kept with its last error:
# (canister, start after, page size).
sleep 120
dfx canister call monitor dead_letters '(opt principal "'"$LOAD"'", null, 50)'
# expect: metric = variant { Stable }
# expect: reason = "gave up after 4 attempts

# --- Redrive ------------------------------------------------------------------------------------
# The canister answers again; put its dead letters back in the outbox. The event keeps its id,
# so the SDK recognises it if the hung attempt had already run its handler.
dfx canister call load set_hook_mode '(variant { Normal })'
dfx canister call monitor redrive_canister '(principal "'"$LOAD"'")'
# expect: variant { Ok = 1 : nat64 }
sleep 30
dfx canister call monitor events '(record {
  canister_id = opt principal "'"$LOAD"'";
  kind = opt variant { LowMemory };
  limit = opt 1;
})'
# expect: metric = variant { Stable }
# expect: delivery = variant { Delivered

# --- Metrics and the status page ----------------------------------------------------------------
# The monitor serves Prometheus metrics and an HTML status page through `http_request`. Its
# answers are not certified (they change with every poll), so fetch them through the raw domain;
# open the same URLs in a browser.
curl -s "http://${MONITOR}.raw.localhost:4943/metrics"
# expect: monitor_registrations 3
# expect: monitor_dead_lettered_total 1
# expect: monitor_redriven_total 1
curl -s "http://${MONITOR}.raw.localhost:4943/"
# expect: <h1>canister-hooks monitor</h1>

# --- Upgrading a canister through the monitor ---------------------------------------------------
# The monitor can also upgrade the canisters it controls, safely: scripts/upgrade-canister.sh
# uploads the new module through it in chunks of at most 1 MiB (the canister's chunk store), starts
# its pipeline (maintenance, drain, stop, snapshot, install, module check, start, readiness) and
# prints each step as it ends. Here the load canister gets a fresh build of its own module, the
# uncompressed one, over 1 MiB: two chunks. `--arg` is the argument of the new code's
# post_upgrade, typed against the module's Candid interface (the script encodes it with didc).
bash scripts/upgrade-canister.sh load target/canisters/example-load.wasm \
  --arg '(opt record { monitor = opt principal "'"$MONITOR"'" })'
# expect: chunk 2/
# expect: take snapshot
# expect: install
# expect: await readiness
# expect: of load succeeded

# A broken release: with this argument the new code's post-init needs a dependency that does not
# exist, so it never becomes ready. The pipeline gives readiness 30 seconds (`--ready-timeout`; 5 minutes by
# default), then loads back the snapshot it took before the install: the canister runs the code
# and state it had. The script exits with status 3, hence `|| true` here.
bash scripts/upgrade-canister.sh load target/canisters/example-load.wasm --ready-timeout 30 \
  --arg '(opt record {
    monitor = opt principal "'"$MONITOR"'";
    fault = opt variant { NeverReady };
  })' || true
# expect-error: rollback: load snapshot
# expect-error: rolled back after await readiness failed
dfx canister call load hooks_readiness
# expect: phase = variant { Ready }
# The monitor keeps the operations it ran (upgrades, backups, restores), newest first, and counts
# them in its metrics.
dfx canister call monitor operations '(record { canister_id = opt principal "'"$LOAD"'" })'
# expect: RolledBack
# expect: Succeeded
curl -s "http://${MONITOR}.raw.localhost:4943/metrics"
# expect: monitor_operations_total{kind="upgrade",outcome="succeeded"} 1
# expect: monitor_operations_total{kind="upgrade",outcome="rolled_back"} 1

echo "Done. Status page: http://${MONITOR}.raw.localhost:4943/  (stop the replica with: dfx stop)"
