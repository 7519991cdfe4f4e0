#!/bin/sh
# Checks tests/model/queue.pml with Spin: an exhaustive search of every
# interleaving for each configuration below, failing on any assertion
# violation, invalid index, invalid end state or truncated search.
#
#   run-spin.sh              the CI configurations (about 35 s on two cores)
#   run-spin.sh --deep       those plus bigger ones (a few minutes, GBs of RAM)
#   run-spin.sh --mutant X   build with -DX (a deliberate bug; X+Y for two
#                            macros) and succeed only if Spin finds the
#                            violation
#
# Exits 77 (skipped) when spin or a C compiler is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
model="$here/queue.pml"

command -v spin >/dev/null 2>&1 || { echo "spin not found: skipped"; exit 77; }
cc=${CC:-}
if [ -z "$cc" ]; then
  for c in cc gcc clang; do
    if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
  done
fi
[ -n "$cc" ] || { echo "no C compiler: skipped"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One pan run. $1: label, $2: spin -D flags. Leaves pan's output in
# $work/out and prints the figures.
run_pan() {
  label=$1
  flags=$2
  dir="$work/$label"
  mkdir -p "$dir"
  cp "$model" "$dir/queue.pml"
  # shellcheck disable=SC2086 # flags is a list of -D options
  (cd "$dir" && spin $flags -a queue.pml >spin.log 2>&1) || {
    cat "$dir/spin.log"; echo "FAIL $label: spin -a"; return 1; }
  # SAFETY: no cycle checks. COLLAPSE: compressed state vectors. MEMLIM
  # (MB) turns a runaway search into an error instead of an OOM kill.
  (cd "$dir" && "$cc" -O2 -DSAFETY -DCOLLAPSE -DMEMLIM=4096 -o pan pan.c) || {
    echo "FAIL $label: cc pan.c"; return 1; }
  (cd "$dir" && ./pan -m200000 -w24) >"$work/out" 2>&1 || true
  secs=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\).*/\1/p' "$work/out")
  states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$work/out")
  trans=$(sed -n 's/^ *\([0-9.e+]*\) transitions.*/\1/p' "$work/out")
  depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$work/out")
  mem=$(sed -n 's/^ *\([0-9.]*\).total actual memory usage.*/\1/p' "$work/out")
  echo "$label: states=$states transitions=$trans depth=$depth memory=${mem}MB time=${secs}s"
}

# Whether the last run was complete and clean.
clean() {
  grep -q 'errors: 0$' "$work/out" &&
    ! grep -q -e 'max search depth too small' -e 'MEMLIM' -e 'out of memory' \
      -e 'Search not completed' "$work/out"
}

if [ "${1:-}" = "--mutant" ]; then
  [ $# -eq 2 ] || { echo "usage: $0 --mutant MACRO"; exit 2; }
  flags="-DN=3 -DM=9"
  for x in $(echo "$2" | tr '+' ' '); do flags="$flags -D$x"; done
  run_pan "mutant-$2" "$flags"
  if grep -q -e 'assertion violated' -e 'invalid end state' "$work/out" &&
     ! grep -q 'errors: 0$' "$work/out"; then
    grep -m1 -e 'assertion violated' -e 'invalid end state' "$work/out"
    echo "ok: Spin found the bug planted by -D$2"
    exit 0
  fi
  cat "$work/out"
  echo "FAIL: Spin found no violation with -D$2"
  exit 1
fi

# N:M:MACROS: N slots, M messages (M wraps the ring M/N times when nothing
# is lost), and +-separated macros. TSO: force_push's tail load may overtake
# the stores of its publish, as on x86. TAIL_BEFORE_HEAD, LINK_BEFORE_HEAD:
# a producer that stores in the protocol text's order (the rtipc C and Rust
# producers) against our consumer. C_FLUSH: our producer against a consumer
# whose flush is the rtipc C library's. LATEST_RETRIES=0: flush falls back to
# pop after its first overrun (the bounded retry's fallback path).
configs="3:12: 4:12: 5:10: 4:12:TSO 3:9:TAIL_BEFORE_HEAD 4:12:LINK_BEFORE_HEAD
 3:12:TAIL_BEFORE_HEAD+LINK_BEFORE_HEAD 4:12:C_FLUSH 4:12:LATEST_RETRIES=0"
if [ "${1:-}" = "--deep" ]; then
  configs="$configs 4:16: 5:15: 4:16:TAIL_BEFORE_HEAD+LINK_BEFORE_HEAD 4:16:C_FLUSH"
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--deep | --mutant MACRO]"; exit 2
fi

status=0
for cfg in $configs; do
  n=${cfg%%:*}
  rest=${cfg#*:}
  m=${rest%%:*}
  macros=${rest#*:}
  flags="-DN=$n -DM=$m"
  for x in $(echo "$macros" | tr '+' ' '); do flags="$flags -D$x"; done
  label="n$n-m$m${macros:+-$macros}"
  if run_pan "$label" "$flags" && clean; then
    echo "ok: $label"
  else
    cat "$work/out"
    echo "FAIL: $label"
    status=1
  fi
done
exit $status
