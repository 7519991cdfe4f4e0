#!/bin/sh
# Any DDS program can join: a plain Cyclone DDS program (no librtipc) on
# host B reads what an rtipc application on host A publishes through the
# bridge, and publishes samples that reach an rtipc consumer on A.
. "$(dirname "$0")/lib.sh"
hosts_up
start_bridge A bridge-a --listen "$TEST_DIR/a.sock"
bridge_a=$LAST_PID
wait_log "$TEST_DIR/bridge-a.log" "listening on"

spawn A "$TEST_DIR/send.log" "$PEER" "$TEST_DIR/a.sock" send -o telemetry -s 256 -m try -k 1000 \
  -W "$TEST_DIR/go"
send=$LAST_PID
env "$(dds_env B)" ip netns exec "$NS_B" "$DDS_PEER" read telemetry 256 1000 >"$TEST_DIR/read.log" 2>&1 &
reader=$!
PIDS="$PIDS $reader"
wait_log "$TEST_DIR/bridge-a.log" "rtipc/256/telemetry: writer matched"
touch "$TEST_DIR/go"
wait_pid "$send" 30 || fail "sender exited with status $?"
wait_pid "$reader" 60 || fail "the plain DDS reader exited with status $?"
grep -q "read=1000 bad=0" "$TEST_DIR/read.log" || fail "the plain DDS reader did not get all 1000"

# Room for the whole burst: keep-last(slots) in DDS keeps all 500.
spawn A "$TEST_DIR/recv.log" "$PEER" "$TEST_DIR/a.sock" recv -i command -s 256 -m try -a 1024 -k 500
recv=$LAST_PID
wait_log "$TEST_DIR/bridge-a.log" "joined: 1 channels"
env "$(dds_env B)" ip netns exec "$NS_B" "$DDS_PEER" write command 256 500 >"$TEST_DIR/write.log" 2>&1 ||
  fail "the plain DDS writer failed"
wait_pid "$recv" 30 || fail "the rtipc consumer exited with status $?"
grep -q "received=500 bad=0" "$TEST_DIR/recv.log" || fail "the rtipc consumer did not get all 500"
stop_bridge "$bridge_a"
echo "ok: a plain DDS program read 1000 bridged messages and wrote 500 to an rtipc consumer"
