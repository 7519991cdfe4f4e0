# Sourced by the bridge tests: two network namespaces ("hosts" A and B)
# joined by a veth pair with 10.231.N.1/30 and 10.231.N.2/30, made here and
# removed on exit with every process started through these functions.
#
# usage (in a test): . lib.sh; hosts_up; start_bridge A ...; ...
# Needs: BRIDGE, PEER, DDS_PEER (programs) in the environment.
# Exit 77 (skip) without root or namespaces, except in CI (CI=true): fail.

set -eu

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

need_root() {
  if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then
      fail "the bridge tests need root and network namespaces (CI=true: not skipping)"
    fi
    echo "SKIP: the bridge tests need root and network namespaces" >&2
    exit 77
  fi
}

TEST_DIR=$(mktemp -d /tmp/rtipc-bridge-test.XXXXXX)
PIDS="" BRIDGES=""
NS_A="" NS_B=""

# Whether the bridge is built with a sanitizer (scripts/test-sanitizers).
sanitized() {
  ldd "$BRIDGE" | grep -Eq 'lib(a|t)san\.so'
}

# A line that every sanitizer report has (ASan, LSan, UBSan, TSan).
SANITIZER_REPORT='SUMMARY: [A-Za-z]+Sanitizer|runtime error: |^==[0-9]+==ERROR: '

# Stops with SIGTERM each bridge the test left running, so that its exit,
# and LeakSanitizer's check there, is seen; also catches one that exited
# by itself and was not waited for. Returns nonzero if one exited nonzero
# or did not exit within 20 s. Not counted: 127 (wait knows no such child)
# and 137 (SIGKILL, which only a test sends; a sanitizer exits or aborts).
stop_left_bridges() {
  left=0
  for p in $BRIDGES; do
    [ "$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)" != "$$" ] ||
      kill -TERM "$p" 2>/dev/null || true
    # Gone (the shell may reap it at any moment, even while grep reads its
    # status) or a zombie: it exited.
    end=$(($(date +%s) + 20)) st=124
    while [ "$(date +%s)" -lt "$end" ]; do
      if [ ! -d "/proc/$p" ] || grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null; then
        st=0
        wait "$p" 2>/dev/null || st=$?
        break
      fi
      sleep 0.05
    done
    case $st in
    0 | 127 | 137) ;;
    *) echo "FAIL: bridge $p (left running) exited with status $st (124: not within 20 s)" >&2; left=1 ;;
    esac
  done
  return "$left"
}

cleanup() {
  status=$?
  [ "$status" -ne 0 ] || stop_left_bridges || status=1
  # Sanitizer builds: a report from any program the test started (even
  # one killed or not waited for) fails the test.
  if grep -Eq -- "$SANITIZER_REPORT" "$TEST_DIR"/*.log 2>/dev/null; then
    for f in $(grep -El -- "$SANITIZER_REPORT" "$TEST_DIR"/*.log); do
      echo "FAIL: sanitizer report in $f:" >&2
      cat "$f" >&2
    done
    status=1
  fi
  for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; done
  for p in $PIDS; do wait "$p" 2>/dev/null || true; done
  [ -n "$NS_A" ] && ip netns del "$NS_A" 2>/dev/null
  [ -n "$NS_B" ] && ip netns del "$NS_B" 2>/dev/null
  if [ "$status" -ne 0 ]; then
    for f in "$TEST_DIR"/*.log; do
      [ -e "$f" ] || continue
      echo "--- $f" >&2
      tail -n 40 "$f" >&2
    done
  fi
  rm -rf -- "$TEST_DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Makes the two hosts. The subnet number comes from the pid, so tests can
# run at once (their namespaces never see each other anyway).
hosts_up() {
  need_root
  id=$$
  NS_A=rtb$id-a NS_B=rtb$id-b
  IF_A=rtb${id}a IF_B=rtb${id}b
  net=$((id % 250 + 1))
  ADDR_A=10.231.$net.1 ADDR_B=10.231.$net.2
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip link add "$IF_A" type veth peer name "$IF_B"
  ip link set "$IF_A" netns "$NS_A"
  ip link set "$IF_B" netns "$NS_B"
  ip -n "$NS_A" addr add "$ADDR_A/30" dev "$IF_A"
  ip -n "$NS_B" addr add "$ADDR_B/30" dev "$IF_B"
  for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
  ip -n "$NS_A" link set "$IF_A" up multicast on
  ip -n "$NS_B" link set "$IF_B" up multicast on
}

ns_of() { if [ "$1" = A ]; then echo "$NS_A"; else echo "$NS_B"; fi; }
if_of() { if [ "$1" = A ]; then echo "$IF_A"; else echo "$IF_B"; fi; }
peer_addr_of() { if [ "$1" = A ]; then echo "$ADDR_B"; else echo "$ADDR_A"; fi; }

# Runs a command on host A or B in the background; its pid in LAST_PID.
# usage: spawn HOST LOG COMMAND...
spawn() {
  host=$1 log=$2
  shift 2
  ip netns exec "$(ns_of "$host")" "$@" >"$log" 2>&1 &
  LAST_PID=$!
  PIDS="$PIDS $LAST_PID"
}

# A bridge on HOST pinned to the veth, unicast discovery with the other host.
# usage: start_bridge HOST NAME ARGS...  (log: $TEST_DIR/NAME.log)
start_bridge() {
  host=$1 name=$2
  shift 2
  spawn "$host" "$TEST_DIR/$name.log" "$BRIDGE" -i "$(if_of "$host")" \
    --peer "$(peer_addr_of "$host")" -v "$@"
  BRIDGES="$BRIDGES $LAST_PID"
}

# Cyclone configuration for a plain DDS program on HOST, as the bridges use.
dds_env() {
  echo "CYCLONEDDS_URI=<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface name=\"$(if_of "$1")\"/></Interfaces><AllowMulticast>false</AllowMulticast></General><Discovery><ParticipantIndex>auto</ParticipantIndex><Peers><Peer address=\"$(peer_addr_of "$1")\"/></Peers></Discovery></Domain></CycloneDDS>"
}

# Waits until FILE has a line matching the extended regex, at most SECONDS.
# usage: wait_log FILE REGEX [SECONDS]
wait_log() {
  end=$(($(date +%s) + ${3:-20}))
  until grep -Eq -- "$2" "$1" 2>/dev/null; do
    [ "$(date +%s)" -lt "$end" ] || fail "no line matching '$2' in $1 within ${3:-20} s"
    sleep 0.05
  done
}

# Waits for process PID to exit and returns its status, at most SECONDS.
wait_pid() {
  end=$(($(date +%s) + ${2:-60}))
  # A child that exited stays a zombie until waited for.
  while [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; do
    [ "$(date +%s)" -lt "$end" ] || fail "process $1 still running after ${2:-60} s"
    sleep 0.05
  done
  st=0
  wait "$1" || st=$?
  return "$st"
}

# The value of KEY in the last line of FILE matching REGEX ("key=value" words).
# usage: field FILE REGEX KEY
field() {
  grep -E -- "$2" "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# Stops a bridge with SIGTERM and waits for its final stats.
stop_bridge() {
  kill -TERM "$1"
  wait_pid "$1" 20 || fail "bridge $1 exited with status $? on SIGTERM"
}
