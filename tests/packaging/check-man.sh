#!/bin/sh
# Every man page renders at 80 columns with man -l and no groff warning;
# every program in bin/ has a section 1 page; every function of rtipc.h has a
# page or a link to one.
#
# usage: check-man.sh HEADER PAGES_DIR PROGRAM_NAMES LINK_NAMES PAGE...
set -u
header=$1 pages_dir=$2 programs=$3 links=$4
shift 4
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for page in "$@"; do
  before=$failures
  out=$(MANWIDTH=80 MAN_KEEP_FORMATTING= man --warnings=w -l "$page" 2>&1 >/dev/null)
  rc=$?
  [ $rc = 0 ] || fail "$page: man -l exit $rc"
  [ -z "$out" ] || fail "$page: $out"
  lines=$(MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)
  [ "$lines" -ge 15 ] || fail "$page: only $lines lines"
  long=$(MANWIDTH=80 man -l "$page" 2>/dev/null | awk 'length > 80' | head -1)
  [ -z "$long" ] || fail "$page: a line wider than 80 columns: $long"
  [ $failures = "$before" ] && echo "ok $(basename "$page") ($lines lines)"
done

names=" $(for page in "$@"; do basename "$page" | sed 's/\.[0-9]$//'; done | tr '\n' ' ') $(echo "$links" | tr ',' ' ') "
for program in $(echo "$programs" | tr ',' ' '); do
  [ -e "$pages_dir/$program.1" ] || fail "no man page for $program"
done
for function in $(sed -n 's/^RTIPC_EXPORT [^(]*[ *]\(rtipc_[a-z0-9_]*\)(.*/\1/p' "$header"); do
  case $names in *" $function "*) ;; *) fail "no man page or link for $function" ;; esac
done
echo "checked $# pages, $(echo "$names" | wc -w) names"
exit $((failures > 0))
