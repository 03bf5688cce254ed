#!/usr/bin/env bash
# Uploads a local copy of a snapshot, made by scripts/snapshot-download.sh, as a new snapshot of a
# canister, and with --load restores the canister from it.
#
#     bash scripts/snapshot-upload.sh <canister> <dir> [--load] [options]
#
# First it checks the copy: every file its manifest lists, of the size and SHA-256 recorded there
# and in the snapshot's metadata; a damaged copy is refused before anything is uploaded. Then it
# creates the snapshot with the management canister's `upload_canister_snapshot_metadata`, sends
# the module, the heap, stable memory and the chunk store with `upload_canister_snapshot_data` in
# slices of at most 2,000,000 bytes, printing its progress, and prints the new snapshot's id.
# With --load it then stops the canister, loads the snapshot, starts it again and checks that it
# runs the copy's module; if anything fails after the stop, it starts the canister again before
# it exits.
#
# Run it in the dfx project that names the canister, as a controller of the canister. The
# canister may be another one than the copy came from (a clone); a canister keeps at most 10
# snapshots, so give --replace when it has as many. It needs dfx 0.29 or later and python3.
#
# Exit status: 0 uploaded (and loaded); 1 it failed; 2 bad usage.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash scripts/snapshot-upload.sh <canister> <dir> [options]

  <canister>               a name of dfx.json or a canister id
  <dir>                    a copy made by scripts/snapshot-download.sh

options:
  --load                   then stop the canister, load the new snapshot and start it again
  --replace <id>           the new snapshot replaces this one of the canister (hex)
  --network <network>      the dfx network (default: dfx's, usually local)
  -h, --help               this help
EOF
}

# shellcheck source=scripts/snapshot-common.sh
source "$(dirname "$0")/snapshot-common.sh"

# --- Arguments ---------------------------------------------------------------------------------
parse_arguments "--replace" "--load" "$@"
require_positionals 2
canister=${positionals[0]} dir=${positionals[1]}
replace=${options[--replace]:-} load=${options[--load]:-false}
[ -d "$dir" ] || bad_usage "no directory $dir"
check_snapshot_id --replace "$replace"

# Set while the script holds the canister stopped: the exit trap then starts it again.
stopped=false
work=$(mktemp -d)
on_exit() {
  if [ "$stopped" = true ]; then
    echo "Starting $canister again (it was stopped for the load)" >&2
    dfx_canister start "$canister_id" >&2 || echo "error: could not start $canister: start it with dfx canister start $canister_id" >&2
  fi
  rm -rf "$work"
}
trap on_exit EXIT

# --- Check the copy ----------------------------------------------------------------------------
echo "Checking $dir against its manifest:"
copy_helper verify "$dir"

require_dfx_0_29
canister_id=$(canister_id "$canister")
target="$canister"
[ "$canister" = "$canister_id" ] || target="$canister ($canister_id)"

# --- Upload ------------------------------------------------------------------------------------
copy_helper metadata-arg "$dir" "$canister_id" "$replace" >"$work/metadata.did"
management upload_canister_snapshot_metadata "$work/metadata.did" json >"$work/created.json" ||
  die "upload_canister_snapshot_metadata to $target failed (dfx's error above)"
snapshot=$(copy_helper uploaded-id <"$work/created.json")
echo "Uploading to new snapshot $snapshot of $target${replace:+ (replacing $replace)}:"
while read -r kind file bytes; do
  if [ "$kind" = wasm_chunk ]; then
    copy_helper data-arg "$dir" "$file" "$kind" 0 "$bytes" "$canister_id" "$snapshot" >"$work/data.did"
    management upload_canister_snapshot_data "$work/data.did" idl >/dev/null ||
      die "uploading $file failed (dfx's error above); snapshot $snapshot is incomplete"
    copy_helper progress "$file" "$bytes" "$bytes"
    continue
  fi
  for ((offset = 0; offset < bytes; offset += SLICE_BYTES)); do
    slice=$((bytes - offset < SLICE_BYTES ? bytes - offset : SLICE_BYTES))
    copy_helper data-arg "$dir" "$file" "$kind" "$offset" "$slice" "$canister_id" "$snapshot" >"$work/data.did"
    management upload_canister_snapshot_data "$work/data.did" idl >/dev/null ||
      die "uploading $file at offset $offset failed (dfx's error above); snapshot $snapshot is incomplete"
    copy_helper progress "$file" $((offset + slice)) "$bytes"
  done
done < <(copy_helper uploads "$dir")
echo "Uploaded snapshot $snapshot of $target."
[ "$load" = true ] || exit 0

# --- Load --------------------------------------------------------------------------------------
echo "Loading snapshot $snapshot into $target: stop, load, start"
stopped=true
dfx_canister stop "$canister_id" || die "cannot stop $target (dfx's error above)"
echo "(record { canister_id = principal \"$canister_id\"; snapshot_id = $(copy_helper blob "$snapshot"); sender_canister_version = null })" >"$work/load.did"
management load_canister_snapshot "$work/load.did" idl >/dev/null ||
  die "load_canister_snapshot failed (dfx's error above); $target keeps its state, and snapshot $snapshot stays on it (dfx canister snapshot delete $canister_id $snapshot)"
dfx_canister start "$canister_id" || die "cannot start $target (dfx's error above)"
stopped=false
echo "(record { canister_id = principal \"$canister_id\" })" >"$work/status.did"
management canister_status "$work/status.did" json >"$work/status.json" ||
  die "cannot read the status of $target (dfx's error above)"
module=$(copy_helper module-hash "$dir" <"$work/status.json")
echo "Loaded snapshot $snapshot into $target: it runs again, with module $module."
