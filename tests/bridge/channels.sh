#!/bin/sh
# 64 channels each way at once: one application on A echoes-to itself
# through host B: A sends 64 topics, B's application echoes each on its own
# return topic, A checks every echo on every channel.
. "$(dirname "$0")/lib.sh"
n=64
hosts_up
start_bridge A bridge-a --listen "$TEST_DIR/a.sock"
bridge_a=$LAST_PID
start_bridge B bridge-b --listen "$TEST_DIR/b.sock"
bridge_b=$LAST_PID
wait_log "$TEST_DIR/bridge-b.log" "listening on"
wait_log "$TEST_DIR/bridge-a.log" "listening on"
spawn B "$TEST_DIR/echo.log" "$PEER" "$TEST_DIR/b.sock" echo -n $n -i req -o rep -m try
wait_log "$TEST_DIR/bridge-b.log" "joined: $((2 * n)) channels"
spawn A "$TEST_DIR/client.log" "$PEER" "$TEST_DIR/a.sock" echo-client -n $n -o req -i rep \
  -m try -k 200 -t 10 -W "$TEST_DIR/go"
client=$LAST_PID
wait_log "$TEST_DIR/bridge-a.log" "joined: $((2 * n)) channels"
# Every one of the 128 topics matched on A, both ways.
end=$(($(date +%s) + 30))
until [ "$(grep -c "req/[0-9]*: writer matched" "$TEST_DIR/bridge-a.log")" -ge $n ] &&
  [ "$(grep -c "rep/[0-9]*: reader matched" "$TEST_DIR/bridge-a.log")" -ge $n ]; do
  [ "$(date +%s)" -lt "$end" ] || fail "not all $((2 * n)) topics matched"
  sleep 0.1
done
touch "$TEST_DIR/go"
wait_pid "$client" 90 || fail "echo client exited with status $?"
grep -q "echoed=200 " "$TEST_DIR/client.log" || fail "not every echo came back"
stop_bridge "$bridge_a"
stop_bridge "$bridge_b"
[ "$(grep -c "dir=to-app.* delivered=200 " "$TEST_DIR/bridge-a.log")" -ge $n ] ||
  fail "bridge A did not deliver 200 echoes on each of the $n channels"
echo "ok: 200 round trips on each of $n channels at once"
