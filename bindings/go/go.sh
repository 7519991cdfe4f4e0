#!/bin/sh
# Runs the go tool on this module against a librtipc build tree, offline:
# cgo finds the library through the build's uninstalled pkg-config file,
# the programs get an rpath to the build's library, and every cache lives
# in the build directory.
#
# usage: go.sh BUILD_DIR GO_ARGS...
set -eu
build=$(cd "$1" && pwd); shift
cd "$(dirname -- "$0")"
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOTELEMETRY=off
export GOCACHE="$build/go-cache" GOPATH="$build/go-path" GOENV=off
export PKG_CONFIG_PATH="$build/meson-uninstalled"
export CGO_LDFLAGS="-Wl,-rpath,$build/capi"
exec "${GO:-go}" "$@"
