#!/bin/sh
# DDS Security: two bridges with valid credentials (tests/bridge/make-pki.sh,
# openssl only) exchange messages; a participant without credentials, and
# one whose certificate the CA signed but the permissions do not name (it
# brings permissions of its own, signed by a CA of its own), can neither
# read nor write a bridged channel.
. "$(dirname "$0")/lib.sh"
hosts_up
pki=$TEST_DIR/pki
"$(dirname "$0")/make-pki.sh" "$pki" bridge-a bridge-b -- intruder >/dev/null 2>&1 ||
  fail "cannot make the certificates (openssl)"
"$(dirname "$0")/make-pki.sh" "$pki/rogue" intruder >/dev/null 2>&1 ||
  fail "cannot make the rogue permissions (openssl)"
security() {  # security NAME: the [security] section for NAME
  printf '[security]\nidentity_ca = %s/ca.pem\nidentity_certificate = %s/%s.pem\n' "$pki" "$pki" "$1"
  printf 'private_key = %s/%s.key\npermissions_ca = %s/ca.pem\n' "$pki" "$1" "$pki"
  printf 'governance = %s/governance.p7s\npermissions = %s/permissions.p7s\n' "$pki" "$pki"
}
security bridge-a >"$TEST_DIR/a.ini"
security bridge-b >"$TEST_DIR/b.ini"
"$BRIDGE" -c "$TEST_DIR/a.ini" --listen "$TEST_DIR/a.sock" --check >"$TEST_DIR/check.log" 2>&1 ||
  fail "--check failed"
grep -q "security on" "$TEST_DIR/check.log" || fail "--check does not show security on"

start_bridge A bridge-a -c "$TEST_DIR/a.ini" --listen "$TEST_DIR/a.sock"
bridge_a=$LAST_PID
start_bridge B bridge-b -c "$TEST_DIR/b.ini" --listen "$TEST_DIR/b.sock"
bridge_b=$LAST_PID
wait_log "$TEST_DIR/bridge-a.log" "listening on"
wait_log "$TEST_DIR/bridge-b.log" "listening on"
grep -q "DDS Security on" "$TEST_DIR/bridge-a.log" || fail "the bridge does not say security is on"

# The intruders on host B, where the bridged topic arrives: one reads
# what A publishes, one writes into B's channel.
intruder_uri() {  # no credentials, or the unnamed certificate
  base=$(dds_env B | sed 's/^CYCLONEDDS_URI=//')
  if [ "$1" = none ]; then
    echo "CYCLONEDDS_URI=$base"
  else
    echo "CYCLONEDDS_URI=$base,$(sed -n 's/^cyclone config //p' "$TEST_DIR/cfg" |
      sed "s/bridge-a/intruder/g; s|<General>.*</General>||; s|<Discovery>.*</Discovery>||
        s|<PermissionsCA>file:[^<]*|<PermissionsCA>file:$pki/rogue/ca.pem|
        s|<Governance>file:[^<]*|<Governance>file:$pki/rogue/governance.p7s|
        s|<Permissions>file:[^<]*|<Permissions>file:$pki/rogue/permissions.p7s|")"
  fi
}
"$BRIDGE" -c "$TEST_DIR/a.ini" --listen "$TEST_DIR/a.sock" --check >"$TEST_DIR/cfg"
for who in none intruder; do
  env "$(intruder_uri $who)" DDS_PEER_TIMEOUT_S=6 ip netns exec "$NS_B" \
    "$DDS_PEER" read secret 64 1 >"$TEST_DIR/read-$who.log" 2>&1 &
  PIDS="$PIDS $!"
  eval "reader_$who=$!"
  env "$(intruder_uri $who)" DDS_PEER_TIMEOUT_S=6 ip netns exec "$NS_B" \
    "$DDS_PEER" write secret 64 100 >"$TEST_DIR/write-$who.log" 2>&1 &
  PIDS="$PIDS $!"
  eval "writer_$who=$!"
done

spawn B "$TEST_DIR/recv.log" "$PEER" "$TEST_DIR/b.sock" recv -i secret -s 64 -m try -a 1024 \
  -k 1000 -t 10 -W "$TEST_DIR/done"
recv=$LAST_PID
spawn A "$TEST_DIR/send.log" "$PEER" "$TEST_DIR/a.sock" send -o secret -s 64 -m try -a 1024 \
  -k 1000 -W "$TEST_DIR/go"
send=$LAST_PID
wait_log "$TEST_DIR/bridge-a.log" "rtipc/64/secret: writer matched"
wait_log "$TEST_DIR/bridge-b.log" "rtipc/64/secret: reader matched"
touch "$TEST_DIR/go"
wait_pid "$send" 30 || fail "sender exited with status $?"
# The intruders give up 6 s after they started without a sample or a reader.
for who in none intruder; do
  eval "r=\$reader_$who w=\$writer_$who"
  wait_pid "$r" 30 && fail "the $who reader succeeded"
  wait_pid "$w" 30 && fail "the $who writer found a reader"
  grep -q "read=[1-9]" "$TEST_DIR/read-$who.log" && fail "the $who reader read bridged samples"
  grep -q "written=[1-9]" "$TEST_DIR/write-$who.log" && fail "the $who writer wrote"
done
touch "$TEST_DIR/done"
wait_pid "$recv" 30 || fail "the receiver exited with status $?"
grep -q "received=1000 bad=0" "$TEST_DIR/recv.log" || fail "the bridges did not exchange 1000"
stop_bridge "$bridge_a"
stop_bridge "$bridge_b"
grep -q "2 remote" "$TEST_DIR/bridge-a.log" "$TEST_DIR/bridge-b.log" &&
  fail "a bridge matched a second participant"
[ "$(field "$TEST_DIR/bridge-b.log" "topic=secret dir=to-app" received)" = 1000 ] ||
  fail "bridge B received samples that the secure sender did not send"
echo "ok: secure bridges exchanged 1000; no credentials or unnamed certificate: no read, no write"
