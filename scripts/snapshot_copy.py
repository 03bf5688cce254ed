#!/usr/bin/env python3
"""Local side of scripts/snapshot-download.sh and scripts/snapshot-upload.sh: reads dfx's replies,
writes the Candid arguments, and keeps the off-chain copy of a snapshot honest.

A copy is a directory in dfx's layout (`wasm_module.bin`, `wasm_memory.bin`, `stable_memory.bin`,
`wasm_chunk_store/<sha256>.bin`) with `manifest.json`: the snapshot's metadata as
`read_canister_snapshot_metadata` returned it, and each file's size and SHA-256. The metadata
gives every part's size and each chunk's hash; the manifest adds the hashes of the rest.

Usage: python3 snapshot_copy.py COMMAND ARGS..., replies on standard input."""
import hashlib
import json
import os
import re
import sys

MANIFEST = "manifest.json"
FORMAT = "canister-hooks snapshot copy 1"
# The memory parts of a snapshot: metadata field of the size, file, data kind.
PARTS = [
    ("wasm_module_size", "wasm_module.bin", "wasm_module"),
    ("wasm_memory_size", "wasm_memory.bin", "wasm_memory"),
    ("stable_memory_size", "stable_memory.bin", "stable_memory"),
]
CHUNK_DIR = "wasm_chunk_store"
MIB = 1 << 20


def fail(message):
    print("error: " + message, file=sys.stderr)
    sys.exit(1)


def reply_json():
    """The reply dfx printed with `--output json`."""
    text = sys.stdin.read()
    try:
        return json.loads(text)
    except ValueError:
        fail("cannot read dfx's reply as JSON:\n" + text[:2000])


ESCAPE = re.compile(r"\\([0-9a-fA-F]{2}|[nrt\\\"'])")
SIMPLE_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\", '"': b'"', "'": b"'"}


def reply_blob():
    """The one blob of a reply dfx printed as Candid text (`blob "..."`)."""
    text = sys.stdin.read()
    found = re.search(r'blob "((?:[^"\\]|\\.)*)"', text, re.S)
    if not found:
        fail("no blob in dfx's reply:\n" + text[:2000])
    body = found.group(1)
    if len(body) % 3 == 0 and re.fullmatch(r"(?:\\[0-9a-fA-F]{2})*", body):
        return bytes.fromhex(body.replace("\\", ""))
    out, pos = bytearray(), 0
    for escape in ESCAPE.finditer(body):
        out += body[pos:escape.start()].encode()
        code = escape.group(1)
        out += bytes.fromhex(code) if len(code) == 2 else SIMPLE_ESCAPES[code]
        pos = escape.end()
    out += body[pos:].encode()
    return bytes(out)


def blob_text(data):
    """Candid text of a blob."""
    return 'blob "%s"' % ("\\" + data.hex("\\") if data else "")


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def mib(n):
    return "%.1f MiB" % (n / MIB)


def variant(value):
    (name, inner), = value.items()
    return name, inner


def opt(value):
    return value[0] if value else None


def expected_files(metadata):
    """(data kind, path, size or None, sha256 or None) of each file the metadata calls for: the
    memories with their sizes (stable memory unless empty, as dfx), the chunks with their hashes."""
    files = [(kind, name, int(metadata[size]), None) for size, name, kind in PARTS
             if name != "stable_memory.bin" or int(metadata[size]) > 0]
    for chunk in metadata["wasm_chunk_store"]:
        digest = bytes(chunk["hash"]).hex()
        files.append(("wasm_chunk", os.path.join(CHUNK_DIR, digest + ".bin"), None, digest))
    return files


# --- Commands ------------------------------------------------------------------------------------

def latest():
    """`list_canister_snapshots`' reply: prints the newest snapshot's id in hex."""
    snapshots = reply_json()
    if not snapshots:
        fail("the canister has no snapshot: take one first (dfx canister snapshot create)")
    newest = max(snapshots, key=lambda s: int(s["taken_at_timestamp"]))
    print(bytes(newest["id"]).hex())


def blob(hex_text):
    """Candid text of the blob with bytes `hex_text`."""
    print(blob_text(bytes.fromhex(hex_text)))


def parts(metadata_path):
    """The data to fetch, one line each: `KIND FILE SIZE` for the memories, `wasm_chunk FILE
    SHA256` for the chunk store."""
    for kind, path, size, digest in expected_files(json.load(open(metadata_path))):
        print(kind, path, digest or size)


def append(path, offset, size, total):
    """A `read_canister_snapshot_data` reply: appends its bytes (exactly `size`) to `path` and
    prints the progress of the file."""
    data = reply_blob()
    if len(data) != int(size):
        fail("asked for %s bytes of %s at offset %s, got %d" % (size, path, offset, len(data)))
    with open(path, "ab") as f:
        f.write(data)
    progress(os.path.basename(path), int(offset) + len(data), total)


def chunk(path, digest):
    """A `read_canister_snapshot_data` reply for a chunk of the chunk store: writes it to `path`
    if its SHA-256 is `digest`."""
    data = reply_blob()
    if hashlib.sha256(data).hexdigest() != digest:
        fail("chunk %s came back with SHA-256 %s" % (digest, hashlib.sha256(data).hexdigest()))
    with open(path, "wb") as f:
        f.write(data)
    print("  %-20s %10s  sha256 %s" % (CHUNK_DIR + "/", mib(len(data)), digest))


def manifest(directory, metadata_path, canister, snapshot, fetched_with):
    """Checks the downloaded files against the metadata (each part's size, each chunk's hash),
    then writes the manifest with every file's size and SHA-256."""
    metadata = json.load(open(metadata_path))
    files = []
    for _, path, size, digest in expected_files(metadata):
        full = os.path.join(directory, path)
        if not os.path.isfile(full):
            fail("%s is missing from the download" % full)
        actual_size, actual_digest = os.path.getsize(full), sha256_file(full)
        if size is not None and actual_size != size:
            fail("%s has %d bytes; the snapshot's metadata says %d" % (full, actual_size, size))
        if digest is not None and actual_digest != digest:
            fail("%s has SHA-256 %s, not its chunk hash" % (full, actual_digest))
        files.append({"path": path, "bytes": actual_size, "sha256": actual_digest})
    document = {
        "format": FORMAT,
        "canister_id": canister,
        "snapshot_id": snapshot,
        "fetched_with": fetched_with,
        "metadata": metadata,
        "files": files,
    }
    with open(os.path.join(directory, MANIFEST), "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")
    for entry in files:
        print("  %-40s %10d bytes  sha256 %s" % (entry["path"], entry["bytes"], entry["sha256"]))


def load_manifest(directory):
    path = os.path.join(directory, MANIFEST)
    try:
        document = json.load(open(path))
    except (OSError, ValueError) as e:
        fail("%s: %s (not a copy made by scripts/snapshot-download.sh)" % (path, e))
    if document.get("format") != FORMAT:
        fail("%s is not a manifest this script reads (format %r)" % (path, document.get("format")))
    return document


def verify(directory):
    """Checks the copy in `directory` against its manifest and the metadata in it: every file
    there, of its size, with its SHA-256. Prints the snapshot it holds."""
    document = load_manifest(directory)
    listed = {entry["path"]: entry for entry in document["files"]}
    for _, path, size, digest in expected_files(document["metadata"]):
        entry = listed.get(path)
        if entry is None:
            fail("the manifest does not list %s, which the snapshot's metadata calls for" % path)
        if size is not None and entry["bytes"] != size:
            fail("the manifest gives %s %d bytes; the metadata says %d" % (path, entry["bytes"], size))
        if digest is not None and entry["sha256"] != digest:
            fail("the manifest's SHA-256 of %s is not its chunk hash" % path)
    total = 0
    for path, entry in listed.items():
        full = os.path.join(directory, path)
        if not os.path.isfile(full):
            fail("%s is missing" % full)
        if os.path.getsize(full) != entry["bytes"]:
            fail("%s has %d bytes; the manifest says %d: the copy is damaged, nothing was uploaded"
                 % (full, os.path.getsize(full), entry["bytes"]))
        actual = sha256_file(full)
        if actual != entry["sha256"]:
            fail("%s has SHA-256 %s; the manifest says %s: the copy is damaged, nothing was uploaded"
                 % (full, actual, entry["sha256"]))
        total += entry["bytes"]
        print("  %-40s %10d bytes  sha256 ok" % (path, entry["bytes"]))
    print("Verified snapshot %s of %s: %d files, %s" % (document["snapshot_id"],
                                                        document["canister_id"], len(listed),
                                                        mib(total)))


GLOBAL_TYPES = {"i32": "int32", "i64": "int64", "f32": "float32", "f64": "float64", "v128": "nat"}


def global_text(value):
    kind, number = variant(value)
    return "variant { %s = %s : %s }" % (kind, number, GLOBAL_TYPES[kind])


def metadata_arg(directory, canister, replace):
    """The argument of `upload_canister_snapshot_metadata` for the copy in `directory`."""
    metadata = load_manifest(directory)["metadata"]
    globals_ = []
    for value in metadata["globals"]:
        if not value:
            fail("the snapshot has a global of a type the metadata cannot show; it cannot be uploaded")
        globals_.append(global_text(value[0]))
    timer = opt(metadata["global_timer"])
    if timer is not None:
        kind, deadline = variant(timer)
        timer = "variant { active = %s : nat64 }" % deadline if kind == "active" else "variant { inactive }"
    hook = opt(metadata["on_low_wasm_memory_hook_status"])
    if hook is not None:
        hook = "variant { %s }" % variant(hook)[0]
    print("""(record {
  canister_id = principal "%s";
  replace_snapshot = %s;
  wasm_module_size = %s : nat64;
  globals = vec { %s };
  wasm_memory_size = %s : nat64;
  stable_memory_size = %s : nat64;
  certified_data = %s;
  global_timer = %s;
  on_low_wasm_memory_hook_status = %s;
})""" % (canister, "opt " + blob_text(bytes.fromhex(replace)) if replace else "null",
         metadata["wasm_module_size"], "".join(g + "; " for g in globals_),
         metadata["wasm_memory_size"], metadata["stable_memory_size"],
         blob_text(bytes(metadata["certified_data"])),
         "opt " + timer if timer else "null", "opt " + hook if hook else "null"))


def uploads(directory):
    """The data to upload, one line each: `KIND FILE BYTES` (`wasm_chunk` for the chunk store)."""
    for kind, path, _, _ in expected_files(load_manifest(directory)["metadata"]):
        print(kind, path, os.path.getsize(os.path.join(directory, path)))


def data_arg(directory, path, kind, offset, size, canister, snapshot):
    """The argument of `upload_canister_snapshot_data`: `size` bytes of `path` from `offset`."""
    with open(os.path.join(directory, path), "rb") as f:
        f.seek(int(offset))
        data = f.read(int(size))
    target = "variant { wasm_chunk }" if kind == "wasm_chunk" else \
        "variant { %s = record { offset = %s : nat64 } }" % (kind, offset)
    print('(record { canister_id = principal "%s"; snapshot_id = %s; kind = %s; chunk = %s })'
          % (canister, blob_text(bytes.fromhex(snapshot)), target, blob_text(data)))


def uploaded_id():
    """`upload_canister_snapshot_metadata`'s reply: prints the new snapshot's id in hex."""
    print(bytes(reply_json()["snapshot_id"]).hex())


def progress(path, done, total):
    print("  %-20s %10s / %-10s %3d%%" % (path, mib(int(done)), mib(int(total)),
                                         100 * int(done) // max(int(total), 1)))


def module_hash(directory):
    """`canister_status`' reply after a load: the canister must run the copy's module."""
    installed = opt(reply_json()["module_hash"])
    wanted = next(e["sha256"] for e in load_manifest(directory)["files"]
                  if e["path"] == "wasm_module.bin")
    if installed is None or bytes(installed).hex() != wanted:
        fail("after the load the canister runs module %s, not the copy's %s"
             % (bytes(installed).hex() if installed else "none", wanted))
    print(wanted)


COMMANDS = {
    "latest": latest, "blob": blob, "parts": parts, "append": append, "chunk": chunk,
    "manifest": manifest, "verify": verify, "metadata-arg": metadata_arg, "uploads": uploads,
    "data-arg": data_arg, "uploaded-id": uploaded_id, "progress": progress,
    "module-hash": module_hash,
}
COMMANDS[sys.argv[1]](*sys.argv[2:])
