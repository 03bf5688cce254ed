#!/usr/bin/env bash
# Runs the demo: builds the canisters, then runs the scripted story on an embedded ic-sim
# (no dfx, no network) and writes target/demo/report.html.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"

ensure_rust_components
step "building the canisters"
bash scripts/build-canisters.sh
step "building the demo"
# A debug build: it shares the test command's artifacts, and the interpreter is optimised anyway.
cargo build --locked -p canister-hooks-demo
step "running the story"
target/debug/canister-hooks-demo
