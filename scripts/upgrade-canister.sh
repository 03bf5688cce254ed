#!/usr/bin/env bash
# Upgrades a canister through the monitor's upgrade pipeline, with icp-cli or dfx, and shows it
# happen.
#
#     bash scripts/upgrade-canister.sh <canister> <module.wasm or .wasm.gz> [options]
#
# It uploads the module in chunks of at most 1 MiB through the monitor's `upload_chunk` (into the
# canister's chunk store: modules of any size up to 100 MiB), checks each chunk's hash, starts the
# pipeline with `start_upgrade` (maintenance, drain, stop, snapshot, an optional rehearsal on a
# scratch canister, `install_chunked_code`, module check, start, readiness, and a rollback from
# the snapshot if the new code fails after its install), then polls `operation_status` every 2
# seconds and prints each step as it ends and the step running, until the outcome.
#
# Run it in the project that names the canisters (icp.yaml for icp, dfx.json for dfx), as an
# identity that is an admin or a controller of the monitor; the monitor must control the canister
# and have it registered. It needs icp (icp-cli 1.5 or later) or dfx (0.25 or later), and python3;
# `--arg` also needs didc, the Candid command-line tool
# (https://github.com/dfinity/candid/releases). `--cli` picks the CLI; without it, the one
# installed (dfx when both are). Both speak to the monitor alike: dfx prints its replies as JSON
# (`--output json`), icp as Candid text, which the script reads into the same JSON. Stopping the
# script does not stop the pipeline: the monitor runs it; follow it with
# `icp canister call monitor operation_status '(principal "ID")'` (or `dfx canister call ...`).
#
# Exit status: 0 the upgrade succeeded; 1 it could not be started or followed; 2 bad usage;
# 3 it was aborted or rolled back (the canister runs its old code); 4 an operator must look.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash scripts/upgrade-canister.sh <canister> <module.wasm|module.wasm.gz> [options]

  <canister>                 the canister to upgrade: a name of the project or a canister id
  <module>                   the new module (wasm, or gzipped wasm), at most 100 MiB

options:
  --arg '<candid>'           argument of the new code's post_upgrade, as Candid text (typed
                             against the module's candid:service metadata, or --candid; needs
                             didc); without it the argument is empty: `()`
  --candid <file.did>        the new module's interface, to type --arg
  --rehearse-on <canister>   rehearse on this scratch canister first (same subnet, controlled
                             by the monitor); the canister is touched only if that works
  --keep-rehearsal           leave the scratch canister as the rehearsal left it
  --health-query <method>    a query whose reply means healthy, for canisters without the SDK
  --skip-pre-upgrade         skip the old code's pre_upgrade (past an upgrade guard)
  --reason <text>            shown to callers during the maintenance
  --drain-timeout <seconds>  wait for open calls to end (default 300)
  --stop-timeout <seconds>   wait for the stop (default 300)
  --ready-timeout <seconds>  wait for readiness after a start (default 300)
  --call-timeout <seconds>   any other step (default 600)
  --monitor <canister>       the monitor: a name of the project or an id (default: monitor)
  --cli <icp|dfx>            the CLI to drive (default: the one installed; dfx when both are)
  --network <network>        the network (default: the CLI's, usually local)
  --environment <env>        icp's environment (default: local)
  -h, --help                 this help

exit status: 0 succeeded; 1 not started or lost; 2 bad usage; 3 aborted or rolled back (the
canister runs its old code); 4 an operator must look
EOF
}

# Largest chunk the management canister's `upload_chunk` takes, and most chunks a module may have.
CHUNK_BYTES=1048576
MAX_CHUNKS=100
# The empty Candid argument `()`.
EMPTY_ARG=4449444c0000

# shellcheck source=scripts/messages.sh
source "$(dirname "$0")/messages.sh"

# Reading replies and modules, and printing progress: python3 subcommands (see the bottom).
read -r -d '' HELPER <<'PY' || true
import gzip, json, os, re, sys

# How the operator adds the monitor as a controller, with the CLI the script drives.
ADD_CONTROLLER = {
    "dfx": "dfx canister update-settings %s --add-controller %s",
    "icp": "icp canister settings update %s --add-controller %s",
}[os.environ["UPGRADE_CLI"]]

LABELS = {
    "EnterMaintenance": "enter maintenance", "Drain": "drain calls", "Stop": "stop",
    "ListSnapshots": "list snapshots", "TakeSnapshot": "take snapshot",
    "LoadSnapshot": "load snapshot", "Install": "install", "VerifyModule": "verify module",
    "Start": "start", "AwaitReady": "await readiness", "LeaveMaintenance": "leave maintenance",
    "Uninstall": "uninstall",
}


def fail(message, code=1):
    print("error: " + message, file=sys.stderr)
    sys.exit(code)


def variant(value):
    (name, inner), = value.items()
    return name, inner


def opt(value):
    return value[0] if value else None


def kind_label(kind):
    name = variant(kind)[0]
    return LABELS.get(name) or re.sub(r"(?<!^)([A-Z])", r" \1", name).lower()


def step_label(step, phase):
    label = kind_label(step["kind"])
    if variant(step["on"])[0] == "Copy":
        label += " (rehearsal)"
    phase = variant(phase)[0]
    return label if phase == "Main" else phase.lower() + ": " + label


def secs(ns):
    return "%.1f s" % (int(ns) / 1e9)


def reply():
    """The reply dfx printed with `--output json`, or icp as Candid text, as the same JSON."""
    text = sys.stdin.read()
    try:
        return candid_text(text) if text.lstrip().startswith("(") else json.loads(text)
    except ValueError as e:
        fail("cannot read the reply (%s):\n%s" % (e, text))


CANDID_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([+-]?[0-9][0-9_]*(?:\.[0-9_]+)?)'
                          r'|([A-Za-z_][A-Za-z0-9_]*)|([(){};=:,]))')
CANDID_ESCAPE = re.compile(r'\\(u\{[0-9a-fA-F]+\}|[0-9a-fA-F]{2}|.)')
CANDID_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


def candid_string(quoted):
    """The characters of a quoted Candid string, its escapes decoded (to code points < 256 for
    `\\xx`, as in blobs)."""
    def char(match):
        e = match.group(1)
        if e.startswith("u{"):
            return chr(int(e[2:-1], 16))
        if len(e) == 2:
            return chr(int(e, 16))
        return CANDID_ESCAPES.get(e, e)
    return CANDID_ESCAPE.sub(char, quoted[1:-1])


def candid_text(text):
    """Candid text (the values of `(...)`) as dfx's JSON shapes them: records are objects,
    variants objects of one field, `opt` a list of none or one value (`null` is None), vectors
    lists, blobs lists of bytes, numbers ints; type annotations are dropped."""
    tokens, at = [], 0
    while text[at:].strip():
        match = CANDID_TOKEN.match(text, at)
        if not match:
            raise ValueError("not Candid text at %r" % text[at:at + 20])
        tokens.append(match.group(0).strip())
        at = match.end()
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take(expected=None):
        nonlocal pos
        token = peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError("expected %s at %r" % (expected or "a value", token))
        pos += 1
        return token

    def label():
        token = take()
        return candid_string(token) if token.startswith('"') else token

    def sequence(closer, separator):
        items = []
        while peek() != closer:
            items.append(value())
            if peek() == separator:
                take(separator)
        take(closer)
        return items

    def value():
        token = take()
        if token == "(":
            inner = value()
            take(")")
        elif token == "opt":
            inner = [value()]
        elif token == "null":
            inner = None
        elif token in ("true", "false"):
            inner = token == "true"
        elif token == "blob":
            inner = [ord(c) for c in candid_string(take())]
        elif token in ("principal", "service"):
            inner = candid_string(take())
        elif token == "vec":
            take("{")
            inner = sequence("}", ";")
        elif token in ("record", "variant"):
            take("{")
            inner, index = {}, 0
            while peek() != "}":
                if pos + 1 < len(tokens) and tokens[pos + 1] == "=":
                    name = label()
                    take("=")
                    inner[name] = value()
                elif token == "variant":
                    inner[label()] = None
                else:
                    inner[str(index)] = value()
                index += 1
                if peek() == ";":
                    take(";")
            take("}")
        elif token.startswith('"'):
            inner = candid_string(token)
        elif token[0] in "+-0123456789":
            number = token.replace("_", "")
            inner = float(number) if "." in number else int(number)
        else:
            raise ValueError("unexpected %r" % token)
        if peek() == ":":
            take(":")
            take()
        return inner

    take("(")
    values = sequence(")", ",")
    return values[0] if len(values) == 1 else values


def upgrade_error(error, monitor):
    name, e = variant(error)
    if name == "NotAuthorized":
        return ("caller %s is not authorized: only the monitor's controllers and admins may "
                "upload modules and upgrade canisters" % e["caller"])
    if name == "NotRegistered":
        return "canister %s is not registered with the monitor; register it first" % e["canister_id"]
    if name == "NotController":
        return ("the monitor is not a controller of %s (its controllers: %s); add it with: %s"
                % (e["canister_id"], ", ".join(e["controllers"]),
                   ADD_CONTROLLER % (e["canister_id"], monitor)))
    if name == "AlreadyRunning":
        return ("operation %s on %s is running (step: %s); wait for it to end"
                % (e["id"], e["canister_id"], step_label(e["step"], {"Main": None})))
    if name == "InvalidArgument":
        return "%s: %s" % (e["field"], e["reason"])
    if name == "CallFailed":
        return "%s of %s failed: %s" % (e["method"], e["canister_id"], e["message"])
    return json.dumps(error)


def uploaded(expected, monitor):
    """`upload_chunk`'s reply: the chunk's hash must be the one computed here."""
    name, value = variant(reply())
    if name != "Ok":
        fail("upload_chunk refused: " + upgrade_error(value, monitor))
    if bytes(value).hex() != expected:
        fail("the monitor stored a chunk with hash %s, not %s" % (bytes(value).hex(), expected))


def started(monitor):
    """`start_upgrade`'s reply: prints the pipeline's id."""
    name, value = variant(reply())
    if name != "Ok":
        fail("start_upgrade refused: " + upgrade_error(value, monitor))
    print(str(value["id"]))


def custom_sections(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data[:4] != b"\0asm":
        fail(path + " is not a wasm module")
    pos = 8

    def leb():
        nonlocal pos
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    sections = {}
    while pos < len(data):
        section_id = data[pos]
        pos += 1
        end = leb() + pos
        if section_id == 0:
            size = leb()
            name = data[pos:pos + size].decode("utf-8", "replace")
            sections[re.sub(r"^icp:(public|private) ", "", name)] = data[pos + size:end].decode()
        pos = end
    return sections


def init_types(did):
    """The init argument types of a service description: `(...)` before its `->`, else `()`."""
    did = re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", did, flags=re.S))
    found = re.search(r"\bservice\s*(?:\w+\s*)?:\s*", did)
    if not found:
        fail("the interface has no service")
    rest = did[found.end():]
    if not rest.startswith("("):
        return "()"
    depth = 0
    for i, c in enumerate(rest):
        depth += (c == "(") - (c == ")")
        if depth == 0:
            return rest[:i + 1] if rest[i + 1:].lstrip().startswith("->") else "()"
    fail("unbalanced parentheses in the service's init arguments")


def interface(module, out, given):
    """Writes the module's interface (or `given`) to `out` and prints its init argument types."""
    if given:
        did, args = open(given).read(), None
    else:
        sections = custom_sections(module)
        did, args = sections.get("candid:service"), sections.get("candid:args")
        if did is None:
            fail(module + " carries no candid:service metadata to type --arg; pass --candid FILE", 2)
    open(out, "w").write(did)
    print(args.strip() if args else init_types(did))


def progress(state_path, upgrade_id, name):
    """Prints what changed since the last poll; exits 100 while the pipeline runs, else with
    the script's exit status for its outcome."""
    view = opt(reply())
    if view is None or str(view["id"]) != upgrade_id:
        fail("operation_status does not show upgrade %s of %s" % (upgrade_id, name))
    try:
        state = json.load(open(state_path))
    except (OSError, ValueError):
        state = {"printed": 0, "running": None}
    start = int(view["started_at_ns"])

    def at(ns):
        return "%9s" % secs(int(ns) - start)

    for record in view["steps"][state["printed"]:]:
        label = step_label(record["step"], record["phase"])
        took = secs(int(record["ended_at_ns"]) - int(record["started_at_ns"]))
        error = opt(record["error"])
        outcome = "done in " + took if error is None else "FAILED after %s: %s" % (took, error)
        print("%s  %-34s %s" % (at(record["started_at_ns"]), label, outcome))
    state["printed"] = len(view["steps"])
    running = opt(view["running"])
    if running is not None:
        label = step_label(running["step"], running["phase"])
        seen = running["last_seen"]
        signature = [label, running["started_at_ns"], seen]
        if signature != state["running"]:
            detail = "running, deadline at " + secs(int(running["deadline_ns"]) - start)
            print("%s  %-34s %s%s" % (at(running["started_at_ns"]), label, detail,
                                      "; " + seen if seen else ""))
            state["running"] = signature
    json.dump(state, open(state_path, "w"))
    sys.stdout.flush()
    outcome = opt(view["outcome"])
    if outcome is None:
        sys.exit(100)
    took = secs(int(opt(view["ended_at_ns"]) or start) - start)
    kind, detail = variant(outcome)
    if kind == "Succeeded":
        print("Upgrade %s of %s succeeded in %s: it runs module %s (stopped for %s)."
              % (upgrade_id, name, took, bytes(variant(view["kind"])[1]["wasm_module_hash"]).hex(),
                 secs(view["target_stopped_ns"])))
        sys.exit(0)
    step = kind_label(detail["step"])
    if kind == "Aborted":
        message = "aborted at %s: %s; the canister runs its old code" % (step, detail["reason"])
    elif kind == "RolledBack":
        message = ("rolled back after %s failed: %s; the snapshot taken before the upgrade was "
                   "loaded back" % (step, detail["reason"]))
    else:
        message = ("%s failed: %s; then the recovery step %s failed too: %s; an operator must look"
                   % (step, detail["reason"], kind_label(detail["recovery_step"]),
                      detail["recovery_reason"]))
    print("Upgrade %s of %s %s (after %s)." % (upgrade_id, name, message, took), file=sys.stderr)
    sys.exit(4 if kind == "NeedsOperator" else 3)


command, args = sys.argv[1], sys.argv[2:]
{"uploaded": uploaded, "started": started, "interface": interface,
 "progress": progress}[command](*args)
PY

helper() {
  UPGRADE_CLI=$cli python3 -c "$HELPER" "$@"
}

# SHA-256 of file "$1", in hex.
sha256() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# Candid text of a blob holding the bytes of hex string "$1".
hex_blob() {
  printf 'blob "%s"' "$(printf '%s' "$1" | sed 's/../\\&/g')"
}

# --- Arguments ---------------------------------------------------------------------------------
parse_arguments "--arg --candid --rehearse-on --health-query --reason --monitor --drain-timeout \
  --stop-timeout --ready-timeout --call-timeout --cli --environment" \
  "--keep-rehearsal --skip-pre-upgrade" "$@"
[ ${#positionals[@]} -le 2 ] ||
  bad_usage "unexpected argument ${positionals[2]} (give one canister and one module)"
canister=${positionals[0]:-} module=${positionals[1]:-}
arg_text=${options[--arg]:-} candid=${options[--candid]:-} rehearse_on=${options[--rehearse-on]:-}
health_query=${options[--health-query]:-} reason=${options[--reason]:-}
monitor=${options[--monitor]:-monitor}
keep_rehearsal=${options[--keep-rehearsal]:-false}
skip_pre_upgrade=${options[--skip-pre-upgrade]:-false}
drain_timeout=${options[--drain-timeout]:-} stop_timeout=${options[--stop-timeout]:-}
ready_timeout=${options[--ready-timeout]:-} call_timeout=${options[--call-timeout]:-}
cli=${options[--cli]:-}
if [ -z "$cli" ]; then
  if command -v dfx >/dev/null || ! command -v icp >/dev/null; then cli=dfx; else cli=icp; fi
fi
case "$cli" in
  dfx) [ -z "${options[--environment]:-}" ] || bad_usage "--environment is icp's (dfx has --network)" ;;
  icp) [ -z "${options[--environment]:-}" ] || network+=(--environment "${options[--environment]}") ;;
  *) bad_usage "--cli is icp or dfx, not $cli" ;;
esac
if [ -z "$canister" ] || [ -z "$module" ]; then
  usage >&2
  exit 2
fi
if ! [ -f "$module" ] || ! [ -r "$module" ]; then
  bad_usage "no readable module file $module"
fi
magic=$(od -An -N4 -tx1 "$module" | tr -d ' \n')
case "$magic" in
  0061736d | 1f8b*) ;;
  *) bad_usage "$module is neither a wasm module nor gzipped (it starts with ${magic:-nothing})" ;;
esac
[ -z "$candid" ] || [ -r "$candid" ] || bad_usage "no readable interface file $candid"
[ -z "$candid" ] || [ -n "$arg_text" ] || bad_usage "--candid only types --arg: give --arg too"
for timeout in "$drain_timeout" "$stop_timeout" "$ready_timeout" "$call_timeout"; do
  if [ -n "$timeout" ] && ! [[ "$timeout" =~ ^[1-9][0-9]{0,4}$ && "$timeout" -le 86400 ]]; then
    bad_usage "timeouts are whole seconds from 1 to 86400, not $timeout"
  fi
done
size=$(wc -c <"$module")
size=$((size))
chunks=$(((size + CHUNK_BYTES - 1) / CHUNK_BYTES))
[ "$chunks" -le "$MAX_CHUNKS" ] ||
  bad_usage "$module is $size bytes; the chunk store holds at most $MAX_CHUNKS chunks of 1 MiB"

# `canister ARGS` of the CLI, on the chosen network (or icp environment).
cli_canister() {
  "$cli" canister "$@" ${network[@]+"${network[@]}"}
}

# Calls method "$2" of canister "$1" with the Candid argument in file "$3"; prints the reply: JSON
# from dfx, Candid text from icp (the helper reads both).
call() {
  case "$cli" in
    dfx) cli_canister call "$1" "$2" --argument-file "$3" --output json ;;
    icp) cli_canister call "$1" "$2" --args-file "$3" ;;
  esac
}

# The id of canister "$1": a name of the project, or an id (which outside a dfx project dfx
# cannot look up, and stands for itself).
canister_id() {
  local error
  case "$cli" in
    dfx) if cli_canister id "$1" 2>"$work/error"; then return; fi ;;
    icp) if cli_canister status "$1" --id-only 2>"$work/error"; then return; fi ;;
  esac
  if [[ "$1" =~ ^[a-z2-7]{5}(-[a-z2-7]{5})*-[a-z2-7]{1,5}$ ]]; then
    echo "$1"
    return
  fi
  error=$(cat "$work/error")
  die "no canister $1: give a canister name of the project (created on this network) or an id ($cli: ${error#Error: })"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

target_id=$(canister_id "$canister")
monitor_id=$(canister_id "$monitor")
if [ -n "$rehearse_on" ]; then
  rehearse_on=$(canister_id "$rehearse_on")
fi

# --- The post_upgrade argument -----------------------------------------------------------------
if [ -n "$arg_text" ]; then
  command -v didc >/dev/null ||
    die "--arg needs didc, the Candid command-line tool (https://github.com/dfinity/candid/releases), on PATH"
  types=$(helper interface "$module" "$work/service.did" "$candid")
  arg_hex=$(didc encode -d "$work/service.did" -t "$types" "$arg_text") ||
    die "--arg is not a value of the module's init arguments $types (didc's error above)"
else
  arg_hex=$EMPTY_ARG
fi

# --- Upload ------------------------------------------------------------------------------------
module_hash=$(sha256 "$module")
target="$canister"
[ "$canister" = "$target_id" ] || target="$canister ($target_id)"
echo "Uploading $module ($size bytes, sha256 $module_hash) to $target through monitor $monitor_id, in $chunks chunk(s)"
chunk_hashes=()
for ((i = 0; i < chunks; i++)); do
  chunk="$work/chunk"
  dd if="$module" of="$chunk" bs="$CHUNK_BYTES" skip="$i" count=1 2>/dev/null
  chunk_hash=$(sha256 "$chunk")
  # One Candid argument holding the chunk as a blob; too long for a command line, hence the file.
  {
    printf '(principal "%s", blob "' "$target_id"
    od -An -v -tx1 "$chunk" | tr -d ' \n' | sed 's/../\\&/g'
    printf '")\n'
  } >"$work/upload_chunk.did"
  reply=$(call "$monitor_id" upload_chunk "$work/upload_chunk.did") ||
    die "upload_chunk of chunk $((i + 1)) failed ($cli's error above)"
  helper uploaded "$chunk_hash" "$monitor_id" <<<"$reply"
  chunk_hashes+=("$(hex_blob "$chunk_hash")")
  echo "  chunk $((i + 1))/$chunks: $(wc -c <"$chunk" | tr -d ' ') bytes, sha256 $chunk_hash"
done

# --- Start -------------------------------------------------------------------------------------
optional() {
  if [ -n "$1" ]; then printf 'opt %s' "$1"; else printf 'null'; fi
}
quoted() {
  [ -z "$1" ] || printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"
}
timeouts=""
if [ -n "$drain_timeout$stop_timeout$ready_timeout$call_timeout" ]; then
  timeouts="record { drain_seconds = ${drain_timeout:-300}; stop_seconds = ${stop_timeout:-300}; ready_seconds = ${ready_timeout:-300}; call_seconds = ${call_timeout:-600} }"
fi
cat >"$work/start_upgrade.did" <<EOF
(record {
  canister_id = principal "$target_id";
  wasm_module_hash = $(hex_blob "$module_hash");
  chunk_hashes = vec { $(printf '%s; ' "${chunk_hashes[@]}")};
  arg = $(hex_blob "$arg_hex");
  skip_pre_upgrade = $skip_pre_upgrade;
  rehearse_on = $(optional "${rehearse_on:+principal \"$rehearse_on\"}");
  keep_rehearsal = $keep_rehearsal;
  health_query = $(optional "$(quoted "$health_query")");
  replaceable_snapshots = vec {};
  reason = $(optional "$(quoted "$reason")");
  timeouts = $(optional "$timeouts");
})
EOF
reply=$(call "$monitor_id" start_upgrade "$work/start_upgrade.did") ||
  die "start_upgrade failed ($cli's error above)"
upgrade_id=$(helper started "$monitor_id" <<<"$reply")
echo "Upgrade $upgrade_id of $canister started${rehearse_on:+, rehearsed on $rehearse_on first}; its steps (seconds since the start):"

# --- Follow ------------------------------------------------------------------------------------
failures=0
printf '(principal "%s")\n' "$target_id" >"$work/operation_status.did"
while :; do
  if ! reply=$(call "$monitor_id" operation_status "$work/operation_status.did"); then
    failures=$((failures + 1))
    [ "$failures" -lt 5 ] ||
      die "operation_status failed 5 times in a row; the pipeline goes on in the monitor: $cli canister call $monitor_id operation_status '(principal \"$target_id\")'"
  else
    failures=0
    status=0
    helper progress "$work/progress.json" "$upgrade_id" "$canister" <<<"$reply" || status=$?
    [ "$status" -eq 100 ] || exit "$status"
  fi
  sleep 2
done
