# shellcheck shell=bash
# What scripts/snapshot-download.sh and scripts/snapshot-upload.sh share: messages, dfx on the
# chosen network, canister ids, management canister calls, and the local side (snapshot_copy.py).
# Source it, then add `--network NAME` to `network` when given; do not run it.

# Largest slice of snapshot data one call reads or uploads: the IC's limit under its 2 MiB
# messages (dfx uses the same).
# shellcheck disable=SC2034 # used by the scripts that source this file
SLICE_BYTES=2000000
# dfx's `--network` option, empty for dfx's default network.
network=()

scripts_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
  echo "error: $*" >&2
  exit 1
}

bad_usage() {
  echo "error: $*" >&2
  echo "run with --help for the options" >&2
  exit 2
}

copy_helper() {
  python3 "$scripts_dir/snapshot_copy.py" "$@"
}

dfx_canister() {
  dfx canister "$@" ${network[@]+"${network[@]}"}
}

# The id of canister "$1": a name of dfx.json, or an id (which outside a dfx project dfx cannot
# look up, and stands for itself).
canister_id() {
  local id error
  if id=$(dfx_canister id "$1" 2>/dev/null); then
    echo "$id"
    return
  fi
  if [[ "$1" =~ ^[a-z2-7]{5}(-[a-z2-7]{5})*-[a-z2-7]{1,5}$ ]]; then
    echo "$1"
    return
  fi
  error=$(dfx_canister id "$1" 2>&1 >/dev/null || true)
  die "no canister $1: give a canister name of dfx.json (created on this network) or an id (dfx: ${error#Error: })"
}

# Calls management canister method "$1" with the Candid argument in file "$2", printing the
# reply as "$3" (json or idl). dfx knows no interface of the management canister: the methods'
# types come from snapshots.did.
management() {
  dfx_canister call aaaaa-aa "$1" --argument-file "$2" --output "$3" \
    --candid "$scripts_dir/snapshots.did" </dev/null
}
