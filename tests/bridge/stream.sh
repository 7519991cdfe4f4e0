#!/bin/sh
# A stream of COUNT messages (default one million) from host A to host B in
# which every message is accounted for: received by the application on B,
# or counted by a bridge as lost on the network (a sequence gap) or
# dropped locally (a write that timed out, a message overwritten), or
# discarded by the sending application's own queue.
. "$(dirname "$0")/lib.sh"
count=${COUNT:-1000000}
hosts_up
start_bridge A bridge-a --listen "$TEST_DIR/a.sock"
bridge_a=$LAST_PID
start_bridge B bridge-b --listen "$TEST_DIR/b.sock"
bridge_b=$LAST_PID
wait_log "$TEST_DIR/bridge-a.log" "listening on"
wait_log "$TEST_DIR/bridge-b.log" "listening on"

spawn B "$TEST_DIR/recv.log" "$PEER" "$TEST_DIR/b.sock" recv -i stream -s 64 -a 256 -m try \
  -k "$count" -t 5
recv=$LAST_PID
spawn A "$TEST_DIR/send.log" "$PEER" "$TEST_DIR/a.sock" send -o stream -s 64 -a 256 -m try \
  -k "$count" -W "$TEST_DIR/go" -t 30
send=$LAST_PID
wait_log "$TEST_DIR/bridge-a.log" "rtipc/64/stream: writer matched"
wait_log "$TEST_DIR/bridge-b.log" "rtipc/64/stream: reader matched"
touch "$TEST_DIR/go"
wait_pid "$send" 100 || fail "sender exited with status $?"
# The receiver stops when all came or nothing did for 5 s (then some were lost).
wait_pid "$recv" 100 || true
stop_bridge "$bridge_a"
stop_bridge "$bridge_b"

sent=$(field "$TEST_DIR/send.log" "^peer: sent=" sent)
app_discarded=$(field "$TEST_DIR/send.log" "^peer: sent=" discarded)
received=$(field "$TEST_DIR/recv.log" "^peer: received=" received)
bad=$(field "$TEST_DIR/recv.log" "^peer: received=" bad)
a="topic=stream dir=from-app"
b="topic=stream dir=to-app"
consumed=$(field "$TEST_DIR/bridge-a.log" "$a" consumed)
write_failed=$(field "$TEST_DIR/bridge-a.log" "$a" write_failed)
net_lost=$(field "$TEST_DIR/bridge-b.log" "$b" net_lost)
# Lost before the first sample that arrived: a gap nothing precedes.
skipped=$(field "$TEST_DIR/bridge-b.log" "$b" skipped_at_join)
discarded=$(field "$TEST_DIR/bridge-b.log" "$b" discarded)
malformed=$(field "$TEST_DIR/bridge-b.log" "$b" malformed)
echo "sent=$sent app_discarded=$app_discarded consumed=$consumed write_failed=$write_failed" \
  "net_lost=$net_lost skipped_at_join=$skipped bridge_discarded=$discarded received=$received bad=$bad"
[ "$sent" = "$count" ] || fail "the sender sent $sent of $count"
[ "$bad" = 0 ] && [ "$malformed" = 0 ] || fail "malformed messages"
[ $((consumed + app_discarded)) -eq "$sent" ] ||
  fail "bridge A consumed $consumed, the sender discarded $app_discarded, of $sent"
total=$((received + net_lost + skipped + write_failed + discarded + app_discarded))
[ "$total" -eq "$sent" ] || fail "accounted for $total of $sent messages"
echo "ok: $sent messages, all accounted for"
