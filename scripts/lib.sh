# shellcheck shell=bash
# Shared helpers for the project's scripts. Source it; do not run it.

die() {
  echo "error: $*" >&2
  exit 1
}

# Prints one line per workspace package that is a canister (has a cdylib target): its name, a
# tab, and the path of the one .did file beside its Cargo.toml (empty unless there is exactly one).
canister_packages() {
  cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import glob, json, os, sys
for pkg in json.load(sys.stdin)["packages"]:
    if any("cdylib" in t["crate_types"] for t in pkg["targets"]):
        dids = glob.glob(os.path.join(os.path.dirname(pkg["manifest_path"]), "*.did"))
        print(pkg["name"] + "\t" + (dids[0] if len(dids) == 1 else ""))
'
}

# Prints wasm module "$1" with a public metadata custom section `icp:public $2` holding file "$3".
with_metadata() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys

def leb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)

wasm = open(sys.argv[1], "rb").read()
name = ("icp:public " + sys.argv[2]).encode()
data = open(sys.argv[3], "rb").read()
payload = leb(len(name)) + name + data
sys.stdout.buffer.write(wasm + b"\x00" + leb(len(payload)) + payload)
PY
}

# Installs the Debian packages named after `purpose` and `no_apt` with apt-get (through sudo
# unless root); where there is no apt-get, dies with `no_apt`.
apt_install() {
  local purpose=$1 no_apt=$2
  shift 2
  command -v apt-get >/dev/null || die "$no_apt"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages $* ($purpose)"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "$@" >/dev/null
}

# Installs Debian's Rust 1.96 toolchain, its library source and wasm-ld, unless already present.
ensure_debian_wasm_toolchain() {
  if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] && command -v wasm-ld >/dev/null &&
    [ -d /usr/lib/rustlib/src/rust/library ]; then
    return
  fi
  apt_install "wasm32 std built from source" \
    "no wasm32 target in rustup and no apt-get to install Debian's rustc-web; run: rustup target add wasm32-unknown-unknown" \
    rustc-web cargo-web rust-web-src lld
}

# Prints a step header.
step() {
  printf '\n==> %s\n' "$*"
}

# Checks that cargo, rustfmt, clippy and python3 are available, installing rustfmt and clippy
# through rustup when they are missing.
ensure_rust_components() {
  command -v cargo >/dev/null || die "cargo not found: install Rust from https://rustup.rs"
  command -v python3 >/dev/null || die "python3 not found (the build script reads cargo metadata with it)"
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || die "cargo fmt/clippy missing and no rustup to install them"
    rustup component add rustfmt clippy
  fi
}

# Installs Debian's chromium for the headless-browser check of the demo report, unless present.
ensure_headless_browser() {
  if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then
    return
  fi
  apt_install "headless check of the demo report" \
    "the demo report test needs chromium (or google-chrome) on PATH" chromium
}

# Installs Debian's shellcheck for the lint of the project's shell scripts, unless present.
ensure_shellcheck() {
  command -v shellcheck >/dev/null && return
  apt_install "lint of scripts/*.sh" "the shell script lint needs shellcheck on PATH" shellcheck
}

# Installs Debian's Node.js and npm, unless npm is present: the icp-cli test installs the real
# `icp` binary from npm (tests/tests/icp_cli.rs).
ensure_npm() {
  command -v npm >/dev/null && return
  apt_install "the icp-cli test fetches icp from npm" \
    "the icp-cli test needs npm on PATH (Node.js)" nodejs npm
}
