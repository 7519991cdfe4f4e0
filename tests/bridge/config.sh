#!/bin/sh
# The command line and config file: every error names the file, the line
# and the key, and exits 2; --check, --help, --version. Needs no network.
set -eu
dir=$(mktemp -d /tmp/rtipc-bridge-config.XXXXXX)
trap 'rm -rf -- "$dir"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect STATUS REGEX ARGS...: runs the bridge, checks status and stderr.
expect() {
  want=$1 regex=$2
  shift 2
  st=0
  "$BRIDGE" "$@" >"$dir/out" 2>"$dir/err" || st=$?
  [ "$st" -eq "$want" ] || fail "rtipc-bridge $*: status $st, want $want; stderr: $(cat "$dir/err")"
  # Sanitizer builds: a report fails the test whatever the status.
  ! grep -Eq -- 'SUMMARY: [A-Za-z]+Sanitizer|runtime error: ' "$dir/err" ||
    fail "rtipc-bridge $*: sanitizer report: $(cat "$dir/err")"
  grep -Eq -- "$regex" "$dir/err" "$dir/out" ||
    fail "rtipc-bridge $*: no '$regex' in: $(cat "$dir/err" "$dir/out")"
}

expect 0 "^usage: rtipc-bridge" --help
expect 0 "^rtipc-bridge \(librtipc\) [0-9]+\.[0-9]+\.[0-9]+$" --version
expect 2 "unknown option --frobnicate" --frobnicate
expect 2 "option --domain needs a value" --listen /tmp/x --domain
expect 2 "--domain 999: must be a DDS domain id 0..232" --listen /tmp/x --domain 999
expect 2 "\[bridge\] mode: missing" --domain 1
expect 2 "$dir/none.ini: No such file" -c "$dir/none.ini"

cat >"$dir/ok.ini" <<INI
; a client with two channels
[bridge]
mode = client
socket = /run/app.sock
domain = 7
partition = lab

[channel robot/imu]
direction = from-app
size = 64
slots = 16
push = try

[channel robot/cmd]
direction = to-app
size = 32
INI
expect 0 "channel robot/imu: from-app, 64 bytes, 16 slots, push=try -> DDS topic rtipc/64/robot/imu" \
  -c "$dir/ok.ini" --check
grep -q "domain 7, partition 'lab'" "$dir/out" || fail "--check does not show the settings"
# The command line overrides the file.
expect 0 "domain 9," -c "$dir/ok.ini" --check --domain 9

bad() {  # bad LINE_NO REGEX: the file $dir/bad.ini must fail at that line
  expect 2 "^rtipc-bridge: $dir/bad.ini:$1: $2" -c "$dir/bad.ini" --check
}
printf '[bridge]\nmode = server\nsocket = /x\ncolour = blue\n' >"$dir/bad.ini"
bad 4 "\[bridge\] colour: unknown key"
printf '[bridge]\nmode = server\n\n\ndomain = many\n' >"$dir/bad.ini"
bad 5 "\[bridge\] domain: must be a DDS domain id 0..232"
printf '[bridge]\nmode = sideways\n' >"$dir/bad.ini"
bad 2 "\[bridge\] mode: must be server or client, not 'sideways'"
printf '[bridge]\nmode = client\nsocket = /x\n[channel a]\nsize = 8\n[channel b]\ndirection = to-app\n' >"$dir/bad.ini"
bad 6 "\[channel b\] size: missing"
printf '[bridge]\nmode = client\nsocket = /x\n[channel a]\nsize = 99999999\n' >"$dir/bad.ini"
bad 5 "\[channel a\] size: must be a message size 1..1048576"
printf '[bridge]\nmode = client\nsocket = /x\n[channel a b]\nsize = 8\n' >"$dir/bad.ini"
bad 5 "\[channel a b\] size: 'a b' is not a topic name"
printf '[bridge]\nmode = server\nthis line is not ini\n' >"$dir/bad.ini"
bad 3 "not an INI line"
printf '[bridge]\nmode = server\nsocket = /x\n[weather]\nsunny = yes\n' >"$dir/bad.ini"
bad 5 "\[weather\] sunny: unknown section"
touch "$dir/ca.pem"
printf '[bridge]\nmode = server\nsocket = /x\n[security]\nidentity_ca = %s/ca.pem\n' "$dir" >"$dir/bad.ini"
expect 2 "\[security\] identity_certificate: missing" -c "$dir/bad.ini" --check
echo "ok: config errors name file, line and key, exit 2"
