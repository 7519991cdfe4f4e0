package getopt

import (
	"reflect"
	"testing"
)

func TestParseLikeGetopt(t *testing.T) {
	opts, operands, err := Parse("k:s:qx", []string{"sock", "-qx", "-k10", "-s", "64", "--", "-q"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Option{{'q', ""}, {'x', ""}, {'k', "10"}, {'s', "64"}}
	if !reflect.DeepEqual(opts, want) || !reflect.DeepEqual(operands, []string{"sock", "-q"}) {
		t.Fatalf("got %v %v", opts, operands)
	}
	for _, bad := range [][]string{{"-z"}, {"-k"}, {"-:"}} {
		if _, _, err := Parse("k:s:qx", bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if _, ok := Int("12x", 0, 100); ok {
		t.Error("Int accepted 12x")
	}
	if v, ok := Int("-0", 0, 100); !ok || v != 0 {
		t.Error("Int rejected -0")
	}
}
