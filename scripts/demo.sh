#!/usr/bin/env bash
# Runs the demo: builds the canisters and reports what was built.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"

ensure_rust_components
step "building the canisters"
bash scripts/build-canisters.sh
echo
echo "The canisters are in target/canisters/. The scripted demo story lands with the examples."
