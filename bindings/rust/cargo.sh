#!/bin/sh
# Runs cargo on this crate against a librtipc build tree, offline: build.rs
# finds the library through the build's uninstalled pkg-config file, the
# programs get an rpath to it, and the target directory lives in the build
# directory. "build OUTDIR" builds the programs (release) and copies them
# to OUTDIR.
#
# usage: cargo.sh BUILD_DIR build OUTDIR | cargo.sh BUILD_DIR CARGO_ARGS...
set -eu
build=$(cd "$1" && pwd); shift
cd "$(dirname -- "$0")"
export CARGO_TARGET_DIR="$build/cargo-target"
export PKG_CONFIG_PATH="$build/meson-uninstalled" RTIPC_RPATH=1
export LD_LIBRARY_PATH="$build/capi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" # doc tests
cargo=${CARGO:-cargo}
if [ "$1" = build ] && [ $# = 2 ]; then
	out=$2
	"$cargo" build --offline --release --quiet --bins --examples
	for p in echo-server echo-client ping examples/readme; do
		cp "$CARGO_TARGET_DIR/release/$p" "$out/$(basename "$p")"
	done
	exit 0
fi
sub=$1; shift
exec "$cargo" "$sub" --offline "$@"
