#!/bin/sh
# Installs the build into a temporary DESTDIR, builds this directory's
# Makefile there with make and pkg-config alone (no Meson), and runs the
# pair: the server must print the client's three messages.
#
# usage: test.sh BUILD_DIR MESON SOURCE_DIR
set -eu
build=$1 meson=$2 src=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtipc-makefile-test.XXXXXX")
trap '[ -z "$server" ] || kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
server=
fail() { echo "makefile-test: FAIL: $*" >&2; exit 1; }

root=$tmp/root
"$meson" install -C "$build" --no-rebuild --quiet --destdir "$root" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "meson install"; }
pc=$(cd "$root" && find . -name rtipc.pc | sed 's|^\.||')
[ -n "$pc" ] || fail "no rtipc.pc installed"
libdir=$root$(dirname "$(dirname "$pc")")

# pkg-config sees only the installed tree.
PKG_CONFIG_LIBDIR=$root$(dirname "$pc") PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
mkdir "$tmp/example"
cp "$src/Makefile" "$src/server.c" "$src/client.c" "$tmp/example/"
make -C "$tmp/example" CFLAGS="-O2 -Wall -Wextra -Werror" || fail "make"

export LD_LIBRARY_PATH="$libdir"
ldd "$tmp/example/server" | grep -q "librtipc.so.* => $libdir/" || fail "server does not load the installed library"
sock=$tmp/example.sock
"$tmp/example/server" "$sock" >"$tmp/server.out" &
server=$!
for _ in $(seq 500); do [ -S "$sock" ] && break; sleep 0.01; done
"$tmp/example/client" "$sock" || fail "client"
wait "$server" || fail "server exited with $?"
server=
cat "$tmp/server.out"
printf 'server: message 1\nserver: message 2\nserver: message 3\nserver: 3 messages\n' >"$tmp/want"
cmp -s "$tmp/want" "$tmp/server.out" || fail "server output differs"
echo "makefile-test: ok"
