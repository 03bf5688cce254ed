#!/usr/bin/env bash
# Downloads a canister's snapshot (its latest unless told) to a local directory, checks it, and
# writes a manifest, so that an off-chain copy can be kept and later restored with
# scripts/snapshot-upload.sh.
#
#     bash scripts/snapshot-download.sh <canister> <dir> [options]
#
# The bytes come through dfx's own `dfx canister snapshot download`, or with `--via calls` through
# the management canister's `read_canister_snapshot_data`, in slices of at most 2,000,000 bytes
# (the IC's limit under its 2 MiB replies), printing each part's progress. Either way the files have dfx's
# layout: wasm_module.bin, wasm_memory.bin, stable_memory.bin (when not empty) and
# wasm_chunk_store/<sha256>.bin, and the script checks each part's size against the snapshot's
# metadata and each chunk against its hash, then writes manifest.json: the metadata, and the size
# and SHA-256 of every file.
#
# Run it in the dfx project that names the canister, as a controller of the canister (or a
# principal its `snapshot_visibility` allows). It needs dfx 0.29 or later (older releases neither
# download snapshots nor call the snapshot data methods) and python3.
#
# Exit status: 0 the copy is complete and checked; 1 it failed; 2 bad usage.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash scripts/snapshot-download.sh <canister> <dir> [options]

  <canister>               a name of dfx.json or a canister id
  <dir>                    where the copy goes: a new or empty directory

options:
  --snapshot <id>          the snapshot (hex, as dfx prints it); default: the newest one
  --via dfx|calls          fetch with dfx's `canister snapshot download` (the default), or
                           with the management canister's read methods
  --network <network>      the dfx network (default: dfx's, usually local)
  -h, --help               this help
EOF
}

# shellcheck source=scripts/snapshot-common.sh
source "$(dirname "$0")/snapshot-common.sh"

# --- Arguments ---------------------------------------------------------------------------------
parse_arguments "--snapshot --via" "" "$@"
require_positionals 2
canister=${positionals[0]} dir=${positionals[1]}
snapshot=${options[--snapshot]:-} via=${options[--via]:-}
check_snapshot_id --snapshot "$snapshot"
case "$via" in
  "" | dfx | calls) ;;
  *) bad_usage "--via takes dfx or calls, not $via" ;;
esac
if [ -e "$dir" ] && { ! [ -d "$dir" ] || [ -n "$(ls -A "$dir")" ]; }; then
  bad_usage "$dir is not an empty directory; give a new one"
fi

work=$(mktemp -d)
# A failed download leaves files without a manifest, which the upload script refuses: say so.
on_exit() {
  local status=$?
  rm -rf "$work"
  if [ "$status" -ne 0 ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] && ! [ -e "$dir/manifest.json" ]; then
    echo "The copy in $dir is incomplete; remove the directory before trying again." >&2
  fi
}
trap on_exit EXIT

require_dfx_0_29
via=${via:-dfx}

canister_id=$(canister_id "$canister")
target="$canister"
[ "$canister" = "$canister_id" ] || target="$canister ($canister_id)"

# --- Which snapshot ----------------------------------------------------------------------------
echo "(record { canister_id = principal \"$canister_id\" })" >"$work/list.did"
if [ -z "$snapshot" ]; then
  management list_canister_snapshots "$work/list.did" json >"$work/list.json" ||
    die "cannot list the snapshots of $target (dfx's error above)"
  snapshot=$(copy_helper latest <"$work/list.json")
fi
snapshot_blob=$(copy_helper blob "$snapshot")
echo "(record { canister_id = principal \"$canister_id\"; snapshot_id = $snapshot_blob })" >"$work/snapshot.did"
management read_canister_snapshot_metadata "$work/snapshot.did" json >"$work/metadata.json" ||
  die "cannot read the metadata of snapshot $snapshot of $target (dfx's error above)"

# --- The bytes ---------------------------------------------------------------------------------
mkdir -p "$dir"
if [ "$via" = dfx ]; then
  echo "Downloading snapshot $snapshot of $target to $dir with dfx canister snapshot download"
  dfx_canister snapshot download "$canister_id" "$snapshot" --dir "$dir" ||
    die "dfx canister snapshot download failed (its error above)"
  fetched_with="dfx canister snapshot download"
else
  echo "Downloading snapshot $snapshot of $target to $dir with read_canister_snapshot_data"
  while read -r kind file size_or_hash; do
    if [ "$kind" = wasm_chunk ]; then
      mkdir -p "$(dirname "$dir/$file")"
      echo "(record { canister_id = principal \"$canister_id\"; snapshot_id = $snapshot_blob; kind = variant { wasm_chunk = record { hash = $(copy_helper blob "$size_or_hash") } } })" >"$work/read.did"
      management read_canister_snapshot_data "$work/read.did" idl >"$work/reply" ||
        die "reading chunk $size_or_hash failed (dfx's error above)"
      copy_helper chunk "$dir/$file" "$size_or_hash" <"$work/reply"
      continue
    fi
    : >"$dir/$file"
    for ((offset = 0; offset < size_or_hash; offset += SLICE_BYTES)); do
      slice=$((size_or_hash - offset < SLICE_BYTES ? size_or_hash - offset : SLICE_BYTES))
      echo "(record { canister_id = principal \"$canister_id\"; snapshot_id = $snapshot_blob; kind = variant { $kind = record { offset = $offset : nat64; size = $slice : nat64 } } })" >"$work/read.did"
      management read_canister_snapshot_data "$work/read.did" idl >"$work/reply" ||
        die "reading $file at offset $offset failed (dfx's error above)"
      copy_helper append "$dir/$file" "$offset" "$slice" "$size_or_hash" <"$work/reply"
    done
  done < <(copy_helper parts "$work/metadata.json")
  fetched_with="read_canister_snapshot_data"
fi

# --- Check and record --------------------------------------------------------------------------
echo "Checking the files against the snapshot's metadata:"
copy_helper manifest "$dir" "$work/metadata.json" "$canister_id" "$snapshot" "$fetched_with"
echo "Snapshot $snapshot of $target saved to $dir (manifest.json lists each file's size and SHA-256)."
