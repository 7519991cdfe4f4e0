#!/bin/sh
# Installs the build into a temporary DESTDIR (with the build's own prefix),
# checks the installed files, then builds installed_example.c against the
# installed tree through pkg-config and runs it with LD_LIBRARY_PATH.
# Writes nothing outside the temporary directory (meson install itself adds
# its install log to the build directory's meson-logs/, as always).
#
# usage: install-test.sh BUILD_DIR VERSION EXAMPLE_C CC MESON WITH_EXAMPLES
set -eu

build=$1 version=$2 example=$3 cc=$4 meson=$5 with_examples=$6
soname=librtipc.so.${version%%.*} # the soversion is the major version (semver)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtipc-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/root

fail() { echo "install-test: FAIL: $*" >&2; exit 1; }

"$meson" install -C "$build" --no-rebuild --quiet --destdir "$root" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "meson install"; }

echo "installed files:"
(cd "$root" && find . \( -type f -o -type l \) | sed 's|^\./|/|' | sort) | tee "$tmp/files" | sed 's/^/  /'

# What a user needs, and nothing that should stay private.
one() { # the single installed path matching a pattern
  n=$(grep -c -- "$1" "$tmp/files" || true)
  [ "$n" = 1 ] || fail "expected one installed file matching $1, found $n"
  grep -- "$1" "$tmp/files"
}
header=$(one '/include/rtipc/rtipc\.h$')
one '/include/rtipc/version\.h$' >/dev/null
hpp=$(one '/include/rtipc/rtipc\.hpp$')
lib=$(one '/librtipc\.so$')
one "/librtipc\.so\.${version%%.*}$" >/dev/null
one "/librtipc\.so\.$version$" >/dev/null
pc=$(one '/pkgconfig/rtipc\.pc$')
[ "$with_examples" = true ] && one '/bin/rtipc-demo$' >/dev/null
unexpected=$(grep -v -e '/include/rtipc/\(rtipc\|version\)\.h$' -e '/include/rtipc/rtipc\.hpp$' -e '/librtipc\.so\(\.[0-9.]*\)\?$' \
  -e '/pkgconfig/rtipc\.pc$' -e '/bin/rtipc\(-[a-z-]*\)\?$' -e '/librtipc\.a$' \
  -e '/cmake/rtipc/rtipcConfig\(Version\)\?\.cmake$' -e '/share/man/man[13]/rtipc[a-z_-]*\.[13]$' \
  -e '/share/doc/librtipc[a-z-]*/' -e '/share/doc/rtipc-bridge/examples/rtipc-bridge\.\(ini\|service\)$' "$tmp/files" || true)
[ -z "$unexpected" ] || fail "unexpected installed files: $unexpected"
[ "$(readlink "$root$lib")" = "$soname" ] || fail "librtipc.so does not point to $soname"
[ "$(readlink "$root${lib}.${version%%.*}")" = "librtipc.so.$version" ] ||
  fail "$soname does not point to librtipc.so.$version"

# pkg-config sees only the installed tree; the sysroot maps the build's
# prefix into the DESTDIR.
PKG_CONFIG_LIBDIR=$root$(dirname "$pc")
PKG_CONFIG_PATH=
PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
[ "$(pkg-config --modversion rtipc)" = "$version" ] || fail "pkg-config --modversion rtipc"
flags=$(pkg-config --cflags --libs rtipc)
echo "pkg-config --cflags --libs rtipc: $flags"
case "$flags" in *"-I$root"*) ;; *) fail "cflags do not point into the install: $flags" ;; esac

# shellcheck disable=SC2086 # the flags are words
$cc -std=c11 -Wall -Wextra -Werror -o "$tmp/example" "$example" $flags ||
  fail "building $example against the installed library"
libdir=$root$(dirname "$lib")
LD_LIBRARY_PATH=$libdir ldd "$tmp/example" | grep -q "$soname => $libdir/" ||
  fail "the example does not load the installed $soname"
out=$(LD_LIBRARY_PATH=$libdir "$tmp/example") || fail "the example failed: $out"
echo "$out"
[ "$(echo "$out" | sed -n 1p)" = "header $version library $version" ] || fail "version line"
[ "$(echo "$out" | sed -n 2p)" = "received: hello through shared memory" ] || fail "message line"
# The C++ header through the same flags, where a C++ compiler is installed.
if command -v c++ >/dev/null 2>&1; then
  echo '#include <rtipc/rtipc.hpp>
int main() { return rtipc::version()[0] == 0; }' >"$tmp/example.cpp"
  # shellcheck disable=SC2086 # the flags are words
  c++ -std=c++17 -Wall -Wextra -Werror -o "$tmp/example-cpp" "$tmp/example.cpp" $flags ||
    fail "building a C++ program with the installed $hpp"
  LD_LIBRARY_PATH=$libdir "$tmp/example-cpp" || fail "the C++ program failed"
fi

# The static library alone: a fully static program from nothing but
# pkg-config --static (the archive carries the core; Libs.private the C++
# runtime).
if grep -q '/librtipc\.a$' "$tmp/files"; then
  static_flags=$(pkg-config --static --cflags --libs rtipc)
  echo "pkg-config --static --cflags --libs rtipc: $static_flags"
  # shellcheck disable=SC2086 # the flags are words
  $cc -std=c11 -Wall -Wextra -Werror -static -o "$tmp/example-static" "$example" $static_flags ||
    fail "building $example statically against the installed librtipc.a"
  ldd "$tmp/example-static" 2>&1 | grep -q librtipc && fail "the static example loads librtipc.so"
  out=$("$tmp/example-static") || fail "the static example failed: $out"
  [ "$(echo "$out" | sed -n 2p)" = "received: hello through shared memory" ] ||
    fail "message line of the static example"
  echo "static: $(echo "$out" | sed -n 2p)"
fi
echo "install-test: ok ($header and the rest)"
