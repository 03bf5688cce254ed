# shellcheck shell=bash
# What scripts/snapshot-download.sh and scripts/snapshot-upload.sh share: messages, dfx on the
# chosen network, canister and snapshot ids, management canister calls, and the local side
# (snapshot_copy.py).
# Source it after defining `usage`, then read the command line with `parse_arguments`; do not
# run it.

# Largest slice of snapshot data one call reads or uploads: the IC's limit under its 2 MiB
# messages (dfx uses the same).
# shellcheck disable=SC2034 # used by the scripts that source this file
SLICE_BYTES=2000000

scripts_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# shellcheck source=scripts/messages.sh
source "$scripts_dir/messages.sh"

# Dies unless dfx is 0.29.0 or later: older releases have no `dfx canister snapshot download`
# and refuse to call the management canister's snapshot data methods.
require_dfx_0_29() {
  local version
  version=$(dfx --version) || die "dfx --version failed: is dfx installed?"
  version=${version#dfx }
  version=${version%%-*}
  [ "$(printf '%s\n0.29.0\n' "$version" | sort -V | head -n1)" = "0.29.0" ] ||
    die "dfx $version cannot read or upload snapshot data; install dfx 0.29.0 or later"
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

# Bad usage unless option "$1"'s value "$2" is empty or a snapshot id in hex.
check_snapshot_id() {
  [ -z "$2" ] || [[ "$2" =~ ^([0-9a-f]{2})+$ ]] ||
    bad_usage "$1 takes a snapshot id in hex, as dfx prints it, not $2"
}
