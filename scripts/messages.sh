# shellcheck shell=bash
# How the operator scripts end on an error: `die` for a failure (exit 1), `bad_usage` for a
# wrong command line (exit 2). Source it; do not run it.

die() {
  echo "error: $*" >&2
  exit 1
}

bad_usage() {
  echo "error: $*" >&2
  echo "run with --help for the options" >&2
  exit 2
}
