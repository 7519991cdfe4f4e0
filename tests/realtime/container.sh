#!/bin/sh
# Containers that share only a socket (issue 19). The echo server and the
# echo client run in two "containers" made with unshare(1): each its own
# mount, IPC, PID, network and UTS namespace (and user namespace where the
# kernel allows it), its own empty /tmp and /dev/shm, and nothing shared but
# one bind-mounted directory that holds the socket. They exchange messages
# with eventfd wake-ups; then one side is killed (SIGKILL) while the other
# sleeps on the channel, and the survivor must report the peer gone.
#
#   container.sh ECHO_SERVER ECHO_CLIENT
#
# Needs root (namespaces, mounts): exits 77 (skip) otherwise.
set -u
server=$1
client=$2

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to make namespaces and mounts (CI runs it as root)"
	exit 77
fi
command -v unshare >/dev/null || { echo "FAIL: unshare (util-linux) missing"; exit 1; }

work=$(mktemp -d /tmp/rtipc-container.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/sock"
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.log; do echo "--- $f"; cat "$f"; done
	exit 1
}

# A user namespace too, where the kernel lets us make one.
userns=""
if unshare --user --map-root-user true 2>/dev/null; then
	userns="--user --map-root-user"
	echo "user namespace: yes (each side maps its root to the caller)"
else
	echo "user namespace: refused by this kernel ($(unshare --user --map-root-user true 2>&1 | head -1)); running without"
fi
unshare --mount --ipc --pid --net --uts --fork true ||
	fail "unshare cannot make mount/IPC/PID/network namespaces here"

# Before SO_PEERPIDFD (Linux 6.5) a process in another PID namespace has pid
# 0 in SO_PEERCRED: the library then has no pidfd for the peer.
kernel=$(uname -r)
major=${kernel%%.*}
minor=${kernel#*.}
minor=${minor%%[!0-9]*}
peerpidfd=1
if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 5 ]; }; then peerpidfd=0; fi

# container NAME PROGRAM ARGS...: runs PROGRAM in fresh namespaces, in the
# background; its namespace ids first, then its output, go to NAME.log.
container() {
	name=$1
	shift
	# shellcheck disable=SC2086 # $userns is zero or two words
	unshare $userns --mount --ipc --pid --net --uts --fork --kill-child --mount-proc \
		--propagation private sh -c '
		set -e
		sock=$1; shift
		mount -t tmpfs none /mnt
		mkdir /mnt/rtipc
		mount --bind "$sock" /mnt/rtipc
		mount -t tmpfs none /tmp
		mount -t tmpfs none /dev/shm
		hostname "$0"
		echo "ns: $(readlink /proc/self/ns/ipc) $(readlink /proc/self/ns/net) $(readlink /proc/self/ns/pid_for_children) $(readlink /proc/self/ns/mnt)"
		echo "userns: $(readlink /proc/self/ns/user)"
		echo "pid in container: $$; /dev/shm entries: $(ls -A /dev/shm | wc -l)"
		exec "$@"' "$name" "$work/sock" "$@" >"$work/$name.log" 2>&1 &
	last=$!
	pids="$pids $last"
}

# The host pid of the program a container runs (the child of unshare).
inner_pid() {
	i=0
	while [ $i -lt 500 ]; do
		p=$(cat /proc/"$1"/task/"$1"/children 2>/dev/null | awk '{print $1}')
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}

# Waits until host pid $1 has mapped a librtipc memfd: its group is set up.
wait_connected() {
	i=0
	while [ $i -lt 1000 ]; do
		ls -l /proc/"$1"/fd 2>/dev/null | grep -q 'memfd:rtipc' && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}

wait_socket() {
	i=0
	while [ ! -S "$work/sock/echo.sock" ] && [ $i -lt 1000 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	[ -S "$work/sock/echo.sock" ] || fail "the server made no socket"
}

# --- 1. messages with eventfd wake-ups across the two containers -----------
container srv "$server" /mnt/rtipc/echo.sock -n 1 -t 30
srv=$last
wait_socket
container cli "$client" /mnt/rtipc/echo.sock -k 2000 -s 4096 -e 1 -t 30
cli=$last
wait "$cli"; cli_rc=$?
wait "$srv"; srv_rc=$?
[ "$cli_rc" -eq 0 ] && [ "$srv_rc" -eq 0 ] || fail "exchange: client exit $cli_rc, server exit $srv_rc"
ns_srv=$(sed -n 's/^ns: //p' "$work/srv.log")
ns_cli=$(sed -n 's/^ns: //p' "$work/cli.log")
ns_host="$(readlink /proc/self/ns/ipc) $(readlink /proc/self/ns/net) $(readlink /proc/self/ns/pid_for_children) $(readlink /proc/self/ns/mnt)"
for a in $ns_srv; do
	for b in $ns_cli $ns_host; do
		[ "$a" != "$b" ] || fail "a namespace is shared: $a"
	done
done
grep -Eq "client 1: 200[01] messages echoed" "$work/srv.log" || fail "the server did not echo 2000 messages"
echo "exchange: 2000 messages of 4096 bytes echoed across the containers (eventfd wake-ups)"
echo "  server namespaces: $ns_srv"
echo "  client namespaces: $ns_cli"
echo "  user namespaces: server $(sed -n 's/^userns: //p' "$work/srv.log"), client $(sed -n 's/^userns: //p' "$work/cli.log"), host $(readlink /proc/self/ns/user)"

# --- 2 and 3. a dead peer, either side ---------------------------------------
# dead_peer VICTIM: starts a pair whose client never stops sending, kills
# VICTIM (srv or cli) once both are connected, and checks what the survivor
# says. Generous timeouts: the survivor must notice the death itself.
dead_peer() {
	victim=$1
	rm -f "$work/sock/echo.sock"
	idle=60
	[ $peerpidfd -eq 1 ] || idle=3
	container srv "$server" /mnt/rtipc/echo.sock -n 1 -t $idle
	srv=$last
	wait_socket
	container cli "$client" /mnt/rtipc/echo.sock -k 1000000000 -s 64 -e 1 -t $idle
	cli=$last
	srv_in=$(inner_pid "$srv") || fail "no server process"
	cli_in=$(inner_pid "$cli") || fail "no client process"
	wait_connected "$srv_in" || fail "the server never set up a group"
	wait_connected "$cli_in" || fail "the client never set up a group"
	if [ "$victim" = srv ]; then
		kill -KILL "$srv_in"
		wait "$cli"; rc=$?
		wait "$srv"
		log=$work/cli.log
		gone="the server went away"
	else
		kill -KILL "$cli_in"
		wait "$srv"; rc=$?
		wait "$cli"
		log=$work/srv.log
		gone="the client went away"
	fi
	if [ $peerpidfd -eq 1 ]; then
		[ "$rc" -eq 3 ] && grep -q "$gone" "$log" ||
			fail "$victim killed: the survivor exited $rc without noticing ('$gone')"
		echo "dead peer: $victim killed; the survivor says: $(grep "$gone" "$log" | head -1)"
	else
		# Linux < 6.5: no pidfd for a peer in another PID namespace; the
		# survivor ends on its own timeout instead.
		[ "$rc" -eq 3 ] || fail "$victim killed: the survivor exited $rc, not on its timeout"
		echo "dead peer: $victim killed; Linux $kernel has no SO_PEERPIDFD, so across PID namespaces the survivor only ends on its ${idle} s timeout: $(tail -1 "$log")"
	fi
}
dead_peer cli
dead_peer srv
echo "PASS"
