#!/usr/bin/env bash
# Builds every canister crate of the workspace (each package with a `cdylib` target) to
# wasm32-unknown-unknown with the `canister` profile, and puts `<package>.wasm` and
# `<package>.wasm.gz` in target/canisters/.
#
# Two paths, chosen automatically:
#   - rustup's wasm32-unknown-unknown target is installed: plain `cargo build --target ...`;
#   - it is not (and cannot be downloaded): Debian's rustc-web/cargo-web/rust-web-src/lld are
#     installed if missing and std is built from source with `-Zbuild-std`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"

out_dir="$root/target/canisters"
wasm_target_dir="$root/target/wasm"
mkdir -p "$out_dir"

packages=()
declare -A did_of
while IFS=$'\t' read -r name did; do
  packages+=("$name")
  did_of[$name]=$did
done < <(canister_packages)
[ "${#packages[@]}" -gt 0 ] || die "no canister crates (packages with a cdylib target) found"
pkg_args=()
for p in "${packages[@]}"; do pkg_args+=(-p "$p"); done

sysroot=$(rustc --print sysroot 2>/dev/null || true)
if [ -n "$sysroot" ] && [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]; then
  echo "build-canisters: using rustup's installed wasm32-unknown-unknown target"
  CARGO_TARGET_DIR="$wasm_target_dir" cargo build --locked --target wasm32-unknown-unknown \
    --profile canister "${pkg_args[@]}"
else
  echo "build-canisters: no wasm32 std in rustup; building std from source with Debian's rustc-web (-Zbuild-std)"
  ensure_debian_wasm_toolchain
  RUSTC_BOOTSTRAP=1 \
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
    CARGO_TARGET_DIR="$wasm_target_dir" \
    /usr/bin/cargo build --locked -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown \
    --profile canister "${pkg_args[@]}"
fi

for p in "${packages[@]}"; do
  built="$wasm_target_dir/wasm32-unknown-unknown/canister/${p//-/_}.wasm"
  [ -f "$built" ] || die "expected $built after the build"
  # Publish the canister's Candid interface as `icp:public candid:service` metadata, as dfx and
  # icp-cli do (the monitor reads it to learn which hooks a canister exports).
  did=${did_of[$p]}
  if [ -n "$did" ]; then
    with_metadata "$built" "candid:service" "$did" >"$built.meta"
    built="$built.meta"
  fi
  dest="$out_dir/$p.wasm"
  if ! cmp -s "$built" "$dest" || [ ! -s "$dest.gz" ]; then
    # Write beside and rename, so a concurrent reader never sees a partial file.
    gzip -n -9 -c "$built" >"$dest.gz.$$"
    cp "$built" "$dest.$$"
    mv "$dest.gz.$$" "$dest.gz"
    mv "$dest.$$" "$dest"
  fi
  printf '  %-24s %8d bytes (%d gzipped)\n' "$p" "$(stat -c %s "$dest")" "$(stat -c %s "$dest.gz")"
done
