#!/bin/bash
# Every language's echo server against every language's echo client (the
# programs share one command line and exit codes), over message sizes x
# slot counts x eventfd on/off x window, plus the exit codes of a rejecting
# server and of a client that leaves early; the clients check every message. A language whose programs are not built is skipped with a
# note. Prints a server x client table and "N passed, N failed".
#
# usage: lang-matrix.sh BUILD_DIR SOURCE_DIR [COUNT]
#   LANGS="c go" limits the languages (default: all that are built).
set -u
build=$1 src=$2 count=${3:-100}
py=/usr/bin/python3
export RTIPC_BUILD_DIR=$build PYTHONPATH=$src/bindings/python${PYTHONPATH:+:$PYTHONPATH}

# name | server command | client command (the first word must exist)
table="
c      | $build/examples/rtipc-echo-server         | $build/examples/rtipc-echo-client
cpp    | $build/examples/rtipc-echo-server-cpp     | $build/examples/rtipc-echo-client-cpp
python | $py $src/bindings/python/examples/echo_server.py | $py $src/bindings/python/examples/echo_client.py
go     | $build/bindings/go/echo-server            | $build/bindings/go/echo-client
rust   | $build/bindings/rust/echo-server          | $build/bindings/rust/echo-client
"

dir=$(mktemp -d /tmp/rtipc-lang-matrix-XXXXXX)
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$dir"' EXIT
names=() servers=() clients=()
while IFS='|' read -r name server client; do
	name=$(echo "$name" | xargs)
	[ -n "$name" ] || continue
	case " ${LANGS:-$name} " in *" $name "*) ;; *) continue ;; esac
	server=$(echo "$server" | xargs) client=$(echo "$client" | xargs)
	missing=
	for cmd in "$server" "$client"; do
		# shellcheck disable=SC2086 # a command line
		set -- $cmd
		[ -x "$1" ] || missing="$missing $1"
		[ "$1" = "$py" ] && { [ -f "$2" ] || missing="$missing $2"; }
	done
	if [ -n "$missing" ]; then
		echo "note: skipping $name, not built:$missing"
		continue
	fi
	names+=("$name") servers+=("$server") clients+=("$client")
done <<<"$table"

passed=0 failed=0
declare -A cell

# run SERVER CLIENT WANT_SERVER WANT_CLIENT SERVER_ARGS -- CLIENT_ARGS
run() {
	local server=$1 client=$2 want_server=$3 want_client=$4; shift 4
	local server_args=()
	while [ "$1" != -- ]; do server_args+=("$1"); shift; done
	shift
	local sock=$dir/s.sock
	rm -f "$sock"
	# shellcheck disable=SC2086 # a command line
	$server "$sock" -q "${server_args[@]}" 2>"$dir/server.err" &
	server_pid=$!
	for _ in $(seq 1000); do
		[ -S "$sock" ] && break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.01
	done
	# shellcheck disable=SC2086
	$client "$sock" -q "$@" >"$dir/client.out" 2>&1
	local got_client=$?
	wait "$server_pid"
	local got_server=$?
	server_pid=
	[ "$got_client" = "$want_client" ] && [ "$got_server" = "$want_server" ] && return 0
	echo "    client exit $got_client (want $want_client), server exit $got_server (want $want_server)"
	sed 's/^/    /' "$dir/client.out" "$dir/server.err"
	return 1
}

# check NAME ...: run, counted in ok/bad.
check() {
	local name=$1; shift
	if run "${servers[$s]}" "${clients[$c]}" "$@"; then
		ok=$((ok + 1))
	else
		echo "FAIL $name"
		bad=$((bad + 1))
	fi
}

start=$(date +%s)
for s in "${!names[@]}"; do
	for c in "${!names[@]}"; do
		pair="${names[$s]} server x ${names[$c]} client"
		ok=0 bad=0
		for size in 8 65 4096; do
			for slots in 0 15; do
				for eventfd in 0 1; do
					windows=1
					[ "$slots" = 0 ] || windows="1 $((slots + 1))"
					for window in $windows; do
						case_args=(-k "$count" -s "$size" -a "$slots" -e "$eventfd" -w "$window" -t 20)
						check "$pair: ${case_args[*]}" 0 0 -t 20 -- "${case_args[@]}"
					done
				done
			done
		done
		check "$pair: a rejecting server (-r)" 0 2 -r -- -k 10
		check "$pair: the client leaves without the end marker (-x)" 3 0 -t 20 -- -k 10 -x -e 1
		check "$pair: ... on a polled channel (-x -e 0)" 3 0 -t 5 -- -k 10 -x -e 0
		check "$pair: the marker without waiting for its echo (-M)" 0 0 -- -k 10 -M
		cell[$s,$c]="$ok/$((ok + bad))"
		passed=$((passed + ok)) failed=$((failed + bad))
	done
done

printf '\n%-14s' "server\\client"
for c in "${!names[@]}"; do printf '%8s' "${names[$c]}"; done
echo
for s in "${!names[@]}"; do
	printf '%-14s' "${names[$s]}"
	for c in "${!names[@]}"; do printf '%8s' "${cell[$s,$c]}"; done
	echo
done
n=${#names[@]}
echo "$((n * n)) pairings of ${n} languages (${names[*]}), $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$n" -gt 0 ]
