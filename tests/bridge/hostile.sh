#!/bin/sh
# A hostile DDS writer (a plain Cyclone DDS program, tests/bridge/dds_peer.c)
# on a bridged topic: payloads of the wrong size, nonzero flags, wild
# sequence numbers, then a flood. The bridge counts and drops what is
# malformed, never crashes, and the application only ever sees well-formed
# messages; well-formed ones from the same program reach it.
. "$(dirname "$0")/lib.sh"
hosts_up
start_bridge B bridge-b --listen "$TEST_DIR/b.sock"
bridge_b=$LAST_PID
wait_log "$TEST_DIR/bridge-b.log" "listening on"
# Counts nothing in advance: it stops 3 s after the last message.
spawn B "$TEST_DIR/recv.log" "$PEER" "$TEST_DIR/b.sock" recv -i cmd -s 64 -m try -a 64 \
  -k 100000000 -t 3
recv=$LAST_PID
wait_log "$TEST_DIR/bridge-b.log" "joined: 1 channels"

env "$(dds_env A)" ip netns exec "$NS_A" "$DDS_PEER" hostile cmd 64 20 >"$TEST_DIR/hostile.log" 2>&1 ||
  fail "the hostile writer failed"
kill -0 "$bridge_b" || fail "the bridge died"
# Then a well-behaved plain DDS writer: its messages get through.
env "$(dds_env A)" ip netns exec "$NS_A" "$DDS_PEER" write cmd 64 50 >"$TEST_DIR/write.log" 2>&1 ||
  fail "the plain DDS writer failed"
wait_pid "$recv" 60 || true
stop_bridge "$bridge_b"

cat "$TEST_DIR/hostile.log"
received=$(field "$TEST_DIR/recv.log" "^peer: received=" received)
bad=$(field "$TEST_DIR/recv.log" "^peer: received=" bad)
malformed=$(field "$TEST_DIR/bridge-b.log" "topic=cmd dir=to-app" malformed)
written=$(field "$TEST_DIR/hostile.log" "^dds-peer: malformed=" malformed)
echo "received=$received bad=$bad malformed_at_bridge=$malformed malformed_written=$written"
[ "$bad" = 0 ] || fail "$bad malformed messages reached the application"
# Each malformed sample before the flood was acknowledged before the next.
phase1=$((20 * 7))
[ "$malformed" -ge "$phase1" ] || fail "the bridge counted $malformed malformed samples, < $phase1"
[ "$received" -ge 70 ] || fail "only $received well-formed messages reached the application"
grep -q "refused a sample with 0 payload bytes" "$TEST_DIR/bridge-b.log" ||
  fail "no log line about a refused sample"
echo "ok: hostile writer survived; $malformed malformed samples dropped, none reached the application"
