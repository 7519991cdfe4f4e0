// Package getopt parses command lines as GNU getopt(3) does for the C echo
// programs: options and operands in any order, clustered flags (-qx),
// values attached or separate (-k10, -k 10), "--" ending the options.
package getopt

import (
	"errors"
	"strconv"
	"strings"
)

// Option is one parsed option: its letter and its value ("" for a flag).
type Option struct {
	Letter byte
	Value  string
}

// Parse parses args (without the program name) against spec, getopt's
// string: each letter an option, a ':' after it when it takes a value.
func Parse(spec string, args []string) (opts []Option, operands []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return opts, append(operands, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			operands = append(operands, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			at := strings.IndexByte(spec, a[j])
			if a[j] == ':' || at < 0 {
				return nil, nil, errors.New("unknown option -" + string(a[j]))
			}
			if at+1 < len(spec) && spec[at+1] == ':' {
				value := a[j+1:]
				if value == "" {
					if i+1 >= len(args) {
						return nil, nil, errors.New("option -" + string(a[j]) + " needs a value")
					}
					i++
					value = args[i]
				}
				opts = append(opts, Option{a[j], value})
				break
			}
			opts = append(opts, Option{a[j], ""})
		}
	}
	return opts, operands, nil
}

// Int parses a decimal integer within [min, max], as strtol with the
// whole string consumed.
func Int(s string, min, max int64) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < min || v > max {
		return 0, false
	}
	return v, true
}
