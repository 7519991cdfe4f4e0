#!/bin/sh
# scdoc SOURCE > PAGE, with hyphenation off: function names broken across
# lines cannot be searched for or copied.
set -eu
scdoc <"$1" | sed '/^\.TH /a .nh' >"$2"
