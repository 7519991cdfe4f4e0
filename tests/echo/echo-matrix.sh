#!/bin/bash
# The echo pair against each other across message sizes x additional slots x
# eventfd x window, plus the exit codes of the documented edge cases.
# usage: echo-matrix.sh SERVER CLIENT [COUNT]
set -u
server=$1 client=$2 count=${3:-200}
dir=$(mktemp -d /tmp/rtipc-echo-XXXXXX)
trap 'rm -rf "$dir"' EXIT
failures=0 passed=0

# Starts a server in the background and waits until its socket exists.
start_server() {
	local sock=$1; shift
	rm -f "$sock"
	"$server" "$sock" -q "$@" &
	server_pid=$!
	for _ in $(seq 1000); do
		[ -S "$sock" ] && return 0
		kill -0 "$server_pid" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# expect NAME WANT_SERVER WANT_CLIENT SERVER_ARGS -- CLIENT_ARGS
expect() {
	local name=$1 want_server=$2 want_client=$3; shift 3
	local server_args=() client_args=()
	while [ "$1" != -- ]; do server_args+=("$1"); shift; done
	shift
	client_args=("$@")
	local sock=$dir/s.sock
	if ! start_server "$sock" "${server_args[@]}"; then
		echo "FAIL $name: server did not start"; failures=$((failures + 1)); return
	fi
	"$client" "$sock" -q "${client_args[@]}" >"$dir/out" 2>&1
	local got_client=$?
	wait "$server_pid"
	local got_server=$?
	if [ "$got_client" != "$want_client" ] || [ "$got_server" != "$want_server" ]; then
		echo "FAIL $name: client exit $got_client (want $want_client)," \
			"server exit $got_server (want $want_server)"
		sed 's/^/    /' "$dir/out"
		failures=$((failures + 1))
	else
		passed=$((passed + 1))
	fi
}

for size in 8 12 64 65 4096; do
	for slots in 0 1 10 15 16 100; do
		for eventfd in 0 1; do
			for window in 1 $((slots + 1)); do
				expect "size=$size slots=$slots eventfd=$eventfd window=$window" 0 0 -t 20 -- \
					-k "$count" -s "$size" -a "$slots" -e "$eventfd" -w "$window" -t 20
			done
		done
	done
done

# Edge cases of the command lines.
expect "server rejects (-r)" 0 2 -r -- -k 10
expect "client without end marker (-x): server ends the session with 3" 3 0 -t 1 -- -k 10 -x
expect "marker without waiting for its echo (-M)" 0 0 -- -k 10 -M
# Without an eventfd the server polls: it must still notice a client that is
# gone, long before its 60-second idle timeout would.
start=$SECONDS
expect "client gone, no eventfd: server ends the session with 3" 3 0 -t 60 -- -k 10 -x -e 0
if [ $((SECONDS - start)) -ge 30 ]; then
	echo "FAIL the server noticed the vanished client only by its idle timeout"
	failures=$((failures + 1))
fi

# A server that serves several clients one after another.
sock=$dir/multi.sock
if start_server "$sock" -n 3 -t 20; then
	ok=1
	for i in 1 2 3; do
		"$client" "$sock" -q -k 50 -a 4 -w 5 >/dev/null 2>&1 || ok=0
	done
	wait "$server_pid" || ok=0
	if [ $ok = 1 ]; then passed=$((passed + 1)); else echo "FAIL three clients in a row"; failures=$((failures + 1)); fi
fi

# Usage errors exit 1.
for args in "" "-k" "$dir/x -s 4" "$dir/x -e 2"; do
	# shellcheck disable=SC2086
	"$client" $args >/dev/null 2>&1
	[ $? = 1 ] && passed=$((passed + 1)) || { echo "FAIL client usage '$args'"; failures=$((failures + 1)); }
done
"$server" >/dev/null 2>&1
[ $? = 1 ] && passed=$((passed + 1)) || { echo "FAIL server usage"; failures=$((failures + 1)); }
# No server at the path: connect failed.
"$client" "$dir/nobody.sock" -q >/dev/null 2>&1
[ $? = 2 ] && passed=$((passed + 1)) || { echo "FAIL no server"; failures=$((failures + 1)); }

echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
