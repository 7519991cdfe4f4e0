#!/bin/sh
# debian/librtipc1.symbols lists exactly the exported symbols of
# tests/capi/symbols.txt (which the capi suite checks against the library),
# each at its version node, so the package's symbols file cannot drift from
# the ABI without a package build noticing.
#
# usage: check-debian-symbols.sh SYMBOLS_TXT DEBIAN_SYMBOLS SOVERSION
set -eu
want=$(awk '$1 == "A" { print $2 "@" $2 } $1 != "A" { sub("@@", "@", $2); print $2 }' "$1" | sort)
got=$(sed -n 's/^ \([^ ]*\) .*/\1/p' "$2" | sort)
head=$(sed -n 1p "$2")
[ "$head" = "librtipc.so.$3 librtipc$3 #MINVER#" ] || { echo "FAIL: first line '$head'"; exit 1; }
if [ "$want" != "$got" ]; then
  echo "FAIL: debian/librtipc1.symbols differs from tests/capi/symbols.txt"
  echo "only in symbols.txt:"; echo "$want" | grep -vxF -e "$got" || true
  echo "only in debian/librtipc1.symbols:"; echo "$got" | grep -vxF -e "$want" || true
  exit 1
fi
echo "ok: $(echo "$got" | wc -l) symbols"
