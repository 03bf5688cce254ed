#!/usr/bin/env bash
# Runs every check and test of the project: formatting, shellcheck, the canister wasm build,
# clippy, native unit tests, the emulator's tests and the pocket-ic integration tests (against our
# emulator, unless POCKET_IC_BIN already points at a real PocketIC server).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"

ensure_rust_components
ensure_headless_browser
ensure_shellcheck
ensure_npm

step "formatting (cargo fmt --check)"
cargo fmt --all --check

step "shell scripts (shellcheck)"
shellcheck scripts/*.sh

step "canister wasm build"
bash scripts/build-canisters.sh

step "lints (cargo clippy -D warnings)"
cargo clippy --locked --workspace --all-targets -- -D warnings

step "emulator server"
cargo build --locked -p ic-sim-server --bin ic-sim-server
if [ -z "${POCKET_IC_BIN:-}" ]; then
  export POCKET_IC_BIN="$root/target/debug/ic-sim-server"
  echo "integration tests run against our emulator: POCKET_IC_BIN=$POCKET_IC_BIN"
else
  echo "integration tests run against POCKET_IC_BIN=$POCKET_IC_BIN (set by you)"
fi

step "tests (cargo test --workspace)"
cargo test --locked --workspace
