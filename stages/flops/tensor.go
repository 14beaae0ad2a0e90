package flops

import (
	"math"
	"sort"
)

// ONNX TensorProto.DataType values used here (untyped, as dims and attributes take them).
const (
	dtFloat    = 1
	dtUint8    = 2
	dtInt16    = 5
	dtInt32    = 6
	dtInt64    = 7
	dtBool     = 9
	dtFloat16  = 10
	dtDouble   = 11
	dtBfloat16 = 16
)

// mulSat multiplies non-negative counts, saturating at MaxInt64 instead of overflowing.
func mulSat(a, b int64) int64 {
	if a < 0 || b < 0 {
		return -1
	}
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// addSat adds non-negative counts, saturating at MaxInt64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
