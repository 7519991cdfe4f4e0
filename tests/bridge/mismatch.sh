#!/bin/sh
# Two sides that disagree on a topic's message size never exchange a
# sample, and both bridges say so, naming both sizes. A channel without a
# topic is refused with the reason.
. "$(dirname "$0")/lib.sh"
hosts_up
start_bridge A bridge-a --listen "$TEST_DIR/a.sock"
bridge_a=$LAST_PID
start_bridge B bridge-b --listen "$TEST_DIR/b.sock"
bridge_b=$LAST_PID
wait_log "$TEST_DIR/bridge-a.log" "listening on"
wait_log "$TEST_DIR/bridge-b.log" "listening on"

spawn B "$TEST_DIR/recv.log" "$PEER" "$TEST_DIR/b.sock" recv -i imu -s 128 -m try -k 100 -t 2 -T 2 \
  -W "$TEST_DIR/done"
spawn A "$TEST_DIR/send.log" "$PEER" "$TEST_DIR/a.sock" send -o imu -s 64 -m try -k 100 \
  -W "$TEST_DIR/go"
send=$LAST_PID
wait_log "$TEST_DIR/bridge-a.log" \
  "topic imu: a remote reader uses 128-byte messages, this bridge 64-byte ones: refused"
wait_log "$TEST_DIR/bridge-b.log" \
  "topic imu: a remote writer uses 64-byte messages, this bridge 128-byte ones: refused"
touch "$TEST_DIR/go"
wait_pid "$send" 30 || fail "sender exited with status $?"
grep -q "sent=100 " "$TEST_DIR/send.log" || fail "the sender did not send"
touch "$TEST_DIR/done"  # the receiver looks now, and finds nothing
wait_pid "$LAST_PID" 30 || true
stop_bridge "$bridge_b"
[ "$(field "$TEST_DIR/bridge-b.log" "topic=imu dir=to-app" received)" = 0 ] ||
  fail "bridge B received samples of the wrong size"
grep -q "received=0 " "$TEST_DIR/recv.log" || fail "the receiver got messages"

# No topic in a channel's info bytes: refused, with the reason.
ip netns exec "$NS_A" "$ECHO_CLIENT" "$TEST_DIR/a.sock" -k 1 -t 5 >"$TEST_DIR/notopic.log" 2>&1 &&
  fail "a group without topics was accepted"
wait_log "$TEST_DIR/bridge-a.log" \
  "refused the group of pid [0-9]+: channel it produces #0: no topic \(its info bytes must hold topic=NAME\)"
stop_bridge "$bridge_a"
echo "ok: 64 against 128 bytes refused on both sides; a channel without topic refused"
