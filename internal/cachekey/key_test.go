package cachekey

import (
	"math"
	"regexp"
	"testing"
)

func TestKeyIsStableAndOrderSensitive(t *testing.T) {
	a, err := Key(5, "flops", "abc", int64(10), map[string]int{"b": 2, "a": 1})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Key(5, "flops", "abc", int64(10), map[string]int{"a": 1, "b": 2})
	if err != nil || again != a {
		t.Errorf("same parts gave %q, %v; want %q", again, err, a)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(a) {
		t.Errorf("key %q is not 64 lowercase hex digits", a)
	}
	for _, other := range [][]any{{"abc", "flops", int64(10)}, {"flops", "abc"}, {"flops", "abc", int64(11)}} {
		k, err := Key(5, other...)
		if err != nil || k == a {
			t.Errorf("Key(5, %v) = %q, %v; want a different key", other, k, err)
		}
	}
	if k, _ := Key(6, "flops", "abc", int64(10), map[string]int{"a": 1, "b": 2}); k == a {
		t.Error("another schema version gave the same key")
	}
	if _, err := Key(1, math.NaN()); err == nil {
		t.Error("Key(1, NaN) returned no error")
	}
}
