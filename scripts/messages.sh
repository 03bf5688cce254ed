# shellcheck shell=bash
# What the operator scripts share about their command line: reading it (`parse_arguments`) and
# ending on an error (`die` for a failure, exit 1; `bad_usage` for a wrong command line, exit 2).
# Source it after defining `usage`; do not run it.

# dfx's `--network` option, empty for dfx's default network.
network=()
# The command line, read by `parse_arguments`: the positional arguments, and each option given
# with its value (`true` for a flag).
positionals=()
declare -A options=()

die() {
  echo "error: $*" >&2
  exit 1
}

bad_usage() {
  echo "error: $*" >&2
  echo "run with --help for the options" >&2
  exit 2
}

# Reads the command line "${@:3}": the options named in "$1" take a value (`--name value` or
# `--name=value`), those in "$2" none, `--network NAME` sets `network`, `-h`/`--help` prints
# `usage`; anything else starting with `-` is bad usage, the rest is positional.
parse_arguments() {
  local value_options=" $1 --network " flag_options=" $2 "
  shift 2
  while [ $# -gt 0 ]; do
    case "$1" in
      -h | --help)
        usage
        exit 0
        ;;
      --*=*)
        set -- "${1%%=*}" "${1#*=}" "${@:2}"
        continue
        ;;
      -*)
        if [[ "$value_options" == *" $1 "* ]]; then
          [ $# -ge 2 ] || bad_usage "$1 needs a value"
          options[$1]=$2
          shift
        elif [[ "$flag_options" == *" $1 "* ]]; then
          options[$1]=true
        else
          bad_usage "unknown option $1"
        fi
        ;;
      *) positionals+=("$1") ;;
    esac
    shift
  done
  if [ -n "${options[--network]:-}" ]; then
    network=(--network "${options[--network]}")
  fi
}

# Prints `usage` and exits 2 unless the command line had exactly "$1" positional arguments.
require_positionals() {
  if [ "${#positionals[@]}" -ne "$1" ]; then
    usage >&2
    exit 2
  fi
}
