#!/bin/sh
# Echo round trips across the link. Host A: an application connected to a
# bridge in server mode. Host B: rtipc-echo-server, an unchanged rtipc
# server, joined by a bridge in client mode (configured by a file), which
# joins it again when it is restarted.
. "$(dirname "$0")/lib.sh"
hosts_up

cat >"$TEST_DIR/b.ini" <<INI
[bridge]
mode = client
socket = $TEST_DIR/echo.sock
domain = 7
partition = lab

[channel echo/req]
direction = to-app
size = 64
push = try

[channel echo/rep]
direction = from-app
size = 64
push = try
INI

spawn B "$TEST_DIR/echo-server.log" "$ECHO_SERVER" "$TEST_DIR/echo.sock" -t 60
server=$LAST_PID
start_bridge B bridge-b -c "$TEST_DIR/b.ini"
bridge_b=$LAST_PID
start_bridge A bridge-a --listen "$TEST_DIR/a.sock" --domain 7 --partition lab
bridge_a=$LAST_PID
wait_log "$TEST_DIR/bridge-b.log" "joined: 2 channels"
wait_log "$TEST_DIR/bridge-a.log" "listening on"

spawn A "$TEST_DIR/client.log" "$PEER" "$TEST_DIR/a.sock" echo-client -o echo/req -i echo/rep \
  -m try -k 2000 -t 10 -W "$TEST_DIR/go"
client=$LAST_PID
wait_log "$TEST_DIR/bridge-a.log" "echo/req: writer matched"
wait_log "$TEST_DIR/bridge-a.log" "echo/rep: reader matched"
wait_log "$TEST_DIR/bridge-b.log" "echo/rep: writer matched"
touch "$TEST_DIR/go"
wait_pid "$client" 60 || fail "echo client exited with status $?"
grep -q "echoed=2000 " "$TEST_DIR/client.log" || fail "not every message came back"

# The server restarted: the client-mode bridge joins it again by itself.
kill -KILL "$server"
wait "$server" 2>/dev/null || true
wait_log "$TEST_DIR/bridge-b.log" "left \(its process exited\)"
spawn B "$TEST_DIR/echo-server2.log" "$ECHO_SERVER" "$TEST_DIR/echo.sock" -t 60
server=$LAST_PID
end=$(($(date +%s) + 20))
until [ "$(grep -c "joined: 2 channels" "$TEST_DIR/bridge-b.log")" -ge 2 ]; do
  [ "$(date +%s)" -lt "$end" ] || fail "bridge B did not join the restarted server"
  sleep 0.05
done
spawn A "$TEST_DIR/client2.log" "$PEER" "$TEST_DIR/a.sock" echo-client -o echo/req -i echo/rep \
  -m try -k 200 -t 2 -r
wait_pid "$LAST_PID" 60 || fail "echo client after the server restart exited with status $?"
grep -q "echoed=200 " "$TEST_DIR/client2.log" || fail "no echoes after the server restart"

stop_bridge "$bridge_a"
stop_bridge "$bridge_b"
# The server saw its client (the bridge) go.
wait_pid "$server" 20 || true
for log in bridge-a bridge-b; do
  grep -q "stopped" "$TEST_DIR/$log.log" || fail "$log did not stop cleanly"
done
grep -q "topic=echo/req dir=to-app .*delivered=2000 " "$TEST_DIR/bridge-b.log" ||
  fail "bridge B did not deliver 2000 requests to the first server"
echo "ok: 2000 round trips across the veth, server mode to client mode; the client-mode bridge rejoined a restarted server"
