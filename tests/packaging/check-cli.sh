#!/bin/sh
# Every installed program answers --help and --version with exit 0 on stdout
# (the help lists its options, the version line names the library's
# version), and an unknown option with a one-line usage on stderr, nothing on
# stdout, and the program's usage exit status.
#
# usage: check-cli.sh VERSION PROGRAM:USAGE_STATUS...
set -u
version=$1
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtipc-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() { echo "FAIL $name: $*"; failures=$((failures + 1)); }

for spec in "$@"; do
  program=${spec%:*} usage_status=${spec##*:}
  name=$(basename "$program")

  "$program" --help >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ $rc = 0 ] || fail "--help exit $rc"
  [ -s "$tmp/err" ] && fail "--help wrote to stderr: $(cat "$tmp/err")"
  grep -q "^usage: $name" "$tmp/out" || fail "--help has no 'usage: $name' line"
  grep -q -- '--version' "$tmp/out" || fail "--help does not describe --version"
  [ "$(wc -l <"$tmp/out")" -ge 5 ] || fail "--help says too little"

  "$program" --version >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ $rc = 0 ] || fail "--version exit $rc"
  [ "$(cat "$tmp/out")" = "$name (librtipc) $version" ] ||
    fail "--version printed '$(cat "$tmp/out")', want '$name (librtipc) $version'"

  "$program" --no-such-option >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ $rc = "$usage_status" ] || fail "unknown option exit $rc, want $usage_status"
  [ -s "$tmp/out" ] && fail "unknown option wrote to stdout"
  grep -q "^usage: $name" "$tmp/err" || fail "unknown option: no usage line on stderr"
  # getopt's own complaint may come first; the usage is one line.
  [ "$(grep -c usage "$tmp/err")" = 1 ] || fail "unknown option: usage is not one line"
  [ "$(wc -l <"$tmp/err")" -le 2 ] || fail "unknown option: more than a line of usage"
  [ $failures = 0 ] && echo "ok $name"
done
exit $((failures > 0))
