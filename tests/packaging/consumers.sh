#!/bin/sh
# The installed tree from the outside: installs the build into a temporary
# DESTDIR, then builds and runs the example C program
#   cmake:    with a CMake project through find_package(rtipc) (shared and
#             static targets);
#   meson:    with a Meson project through dependency('rtipc') found by
#             pkg-config in that tree;
#   fallback: with the same Meson project and librtipc as its subproject
#             (no installed library at all).
# Skips (exit 77) when cmake is missing (only the cmake part needs it).
# Writes nothing outside its temporary directory.
#
# usage: consumers.sh cmake|meson|fallback BUILD_DIR SOURCE_DIR EXAMPLE_C MESON
set -eu
what=$1 build=$2 source=$3 example=$4 meson=$5
here=$(dirname -- "$(readlink -f -- "$0")")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtipc-consumers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/root

fail() { echo "consumers ($what): FAIL: $*" >&2; exit 1; }

check_output() { # program
  out=$("$@") || fail "$* failed: $out"
  echo "$out" | sed 's/^/  /'
  [ "$(echo "$out" | sed -n 2p)" = "received: hello through shared memory" ] ||
    fail "$*: wrong output"
}

install_tree() {
  "$meson" install -C "$build" --no-rebuild --quiet --destdir "$root" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "meson install"; }
  pc=$(cd "$root" && find . -path '*/pkgconfig/rtipc.pc' | sed 's|^\.||')
  [ -n "$pc" ] || fail "no rtipc.pc installed"
  libdir=$root$(dirname "$(dirname "$pc")")
  prefix=$root$("$meson" introspect --buildoptions "$build" |
    python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
}

case $what in
cmake)
  command -v cmake >/dev/null 2>&1 || { echo "consumers: cmake not found, skipped (apt install cmake)"; exit 77; }
  install_tree
  # The config file finds its prefix from its own place: CMAKE_PREFIX_PATH
  # is all a moved tree needs.
  cmake -S "$here/cmake-consumer" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
    -DEXAMPLE_C="$example" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >"$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log" >&2; fail "cmake configure"; }
  cmake --build "$tmp/cmake" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; fail "cmake build"; }
  LD_LIBRARY_PATH=$libdir ldd "$tmp/cmake/example_shared" | grep -q "librtipc.so.* => $libdir/" ||
    fail "example_shared does not load the installed library"
  echo "find_package(rtipc), rtipc::rtipc:"
  LD_LIBRARY_PATH=$libdir check_output "$tmp/cmake/example_shared"
  if [ -e "$tmp/cmake/example_static" ]; then
    ldd "$tmp/cmake/example_static" | grep -q librtipc && fail "example_static loads librtipc.so"
    echo "find_package(rtipc), rtipc::rtipc-static:"
    check_output "$tmp/cmake/example_static"
  fi
  ;;
meson)
  install_tree
  PKG_CONFIG_LIBDIR=$root$(dirname "$pc") PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR=$root \
    "$meson" setup "$tmp/consumer" "$here/meson-consumer" -Dexample="$example" \
    --wrap-mode=nofallback >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; fail "meson setup"; }
  grep -q 'rtipc from *: pkgconfig' "$tmp/setup.log" || fail "rtipc did not come from pkg-config"
  ninja -C "$tmp/consumer" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; fail "build"; }
  echo "dependency('rtipc') through pkg-config:"
  LD_LIBRARY_PATH=$libdir check_output "$tmp/consumer/example"
  ;;
fallback)
  mkdir -p "$tmp/project/subprojects"
  cp -r "$here/meson-consumer/." "$tmp/project/"
  ln -s "$(readlink -f "$source")" "$tmp/project/subprojects/librtipc"
  "$meson" setup "$tmp/consumer" "$tmp/project" -Dexample="$example" \
    --force-fallback-for=rtipc >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; fail "meson setup"; }
  grep -q 'rtipc from *: internal' "$tmp/setup.log" || fail "rtipc did not come from the subproject"
  ninja -C "$tmp/consumer" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; fail "build"; }
  echo "dependency('rtipc', fallback: ...) as a subproject:"
  check_output "$tmp/consumer/example"
  ;;
*) fail "unknown part $what" ;;
esac
echo "consumers ($what): ok"
