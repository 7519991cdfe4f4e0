// Package cgocost measures what a cgo call costs with nothing behind it:
// the share of every rtipc call that is Go's, not the library's.
package cgocost

// static int rtipc_go_empty(int x) { return x; }
import "C"

// Empty calls a C function that returns its argument.
func Empty(x int) int { return int(C.rtipc_go_empty(C.int(x))) }
