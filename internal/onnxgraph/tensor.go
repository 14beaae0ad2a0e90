package onnxgraph

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// ONNX TensorProto.DataType values used here.
const (
	dtFloat      = 1
	dtUint8      = 2
	dtInt8       = 3
	dtUint16     = 4
	dtInt16      = 5
	dtInt32      = 6
	dtInt64      = 7
	dtString     = 8
	dtBool       = 9
	dtFloat16    = 10
	dtDouble     = 11
	dtUint32     = 12
	dtUint64     = 13
	dtComplex64  = 14
	dtComplex128 = 15
	dtBfloat16   = 16
	dtFloat8e4m3 = 17
	dtFloat8e5m2 = 20
	dtUint4      = 21
	dtInt4       = 22
	dtFloat4e2m1 = 23
)

// elemBits returns the storage size of one element in bits, 0 if unknown.
func elemBits(dt int32) int64 {
	switch dt {
	case dtFloat, dtInt32, dtUint32:
		return 32
	case dtUint8, dtInt8, dtBool, 17, 18, 19, 20:
		return 8
	case dtUint16, dtInt16, dtFloat16, dtBfloat16:
		return 16
	case dtInt64, dtDouble, dtUint64, dtComplex64:
		return 64
	case dtComplex128:
		return 128
	case dtUint4, dtInt4, dtFloat4e2m1:
		return 4
	}
	return 0
}

// ByteSize returns the bytes n elements of type dt occupy, -1 if unknown.
func ByteSize(dt int32, n int64) int64 {
	b := elemBits(dt)
	if b == 0 || n < 0 {
		return -1
	}
	bits := mulSat(n, b)
	size := bits / 8
	if bits%8 != 0 {
		size++
	}
	return size
}

// IsFloatType reports whether dt is a floating-point type (a parameter when stored).
func IsFloatType(dt int32) bool {
	switch dt {
	case dtFloat, dtFloat16, dtDouble, dtBfloat16, 17, 18, 19, 20, dtFloat4e2m1:
		return true
	}
	return false
}

// IsIntType reports whether dt is an integer or bool type.
func IsIntType(dt int32) bool {
	switch dt {
	case dtUint8, dtInt8, dtUint16, dtInt16, dtInt32, dtInt64, dtBool, dtUint32, dtUint64:
		return true
	}
	return false
}

// setValues decodes the values of a small tensor into t.Ints or t.Floats.
// Tensors that are too large, external or of other types keep no values.
func (t *Tensor) setValues(p *onnx.TensorProto) error {
	if p.GetDataLocation() == onnx.TensorProto_EXTERNAL {
		return nil
	}
	n := int64(1)
	for _, d := range p.GetDims() {
		if d < 0 {
			return fmt.Errorf("negative dim %d", d)
		}
		n = mulSat(n, d)
	}
	if n > MaxDecodedElements {
		return nil
	}
	dt := p.GetDataType()
	if !IsIntType(dt) && !IsFloatType(dt) {
		return nil
	}
	raw := p.GetRawData()
	count := int(n)
	if len(raw) > 0 {
		sz := ByteSize(dt, n)
		if elemBits(dt) < 8 {
			return nil
		}
		if int64(len(raw)) != sz {
			return fmt.Errorf("raw_data has %d bytes, dims %v of type %d need %d", len(raw), p.GetDims(), dt, sz)
		}
		if IsIntType(dt) {
			t.Ints = make([]int64, count)
			for i := range count {
				t.Ints[i] = rawInt(dt, raw, i)
			}
		} else {
			t.Floats = make([]float64, count)
			for i := range count {
				t.Floats[i] = rawFloat(dt, raw, i)
			}
		}
		return nil
	}
	var ints []int64
	var floats []float64
	switch dt {
	case dtFloat:
		for _, v := range p.GetFloatData() {
			floats = append(floats, float64(v))
		}
	case dtDouble:
		floats = p.GetDoubleData()
	case dtFloat16, dtBfloat16:
		for _, v := range p.GetInt32Data() {
			floats = append(floats, halfBits(dt, uint16(v)))
		}
	case dtInt64:
		ints = p.GetInt64Data()
	case dtUint32, dtUint64:
		for _, v := range p.GetUint64Data() {
			ints = append(ints, int64(v))
		}
	case dtUint8, dtInt8, dtUint16, dtInt16, dtInt32, dtBool:
		for _, v := range p.GetInt32Data() {
			ints = append(ints, int64(v))
		}
	default:
		return nil
	}
	if IsIntType(dt) {
		if len(ints) != count {
			return fmt.Errorf("%d values for dims %v", len(ints), p.GetDims())
		}
		t.Ints = append([]int64{}, ints...)
	} else {
		if len(floats) != count {
			return fmt.Errorf("%d values for dims %v", len(floats), p.GetDims())
		}
		t.Floats = append([]float64{}, floats...)
	}
	return nil
}

// rawInt reads element i of little-endian raw data of integer type dt.
func rawInt(dt int32, raw []byte, i int) int64 {
	switch dt {
	case dtUint8, dtBool:
		return int64(raw[i])
	case dtInt8:
		return int64(int8(raw[i]))
	case dtUint16:
		return int64(binary.LittleEndian.Uint16(raw[2*i:]))
	case dtInt16:
		return int64(int16(binary.LittleEndian.Uint16(raw[2*i:])))
	case dtInt32:
		return int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
	case dtUint32:
		return int64(binary.LittleEndian.Uint32(raw[4*i:]))
	default: // dtInt64, dtUint64
		return int64(binary.LittleEndian.Uint64(raw[8*i:]))
	}
}

// rawFloat reads element i of little-endian raw data of float type dt.
func rawFloat(dt int32, raw []byte, i int) float64 {
	switch dt {
	case dtFloat:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
	case dtDouble:
		return math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	case dtFloat16, dtBfloat16:
		return halfBits(dt, binary.LittleEndian.Uint16(raw[2*i:]))
	default:
		// 8-bit float formats are not needed for shape folding.
		return math.NaN()
	}
}

// halfBits converts IEEE half (dtFloat16) or bfloat16 bits to a float64.
func halfBits(dt int32, h uint16) float64 {
	if dt == dtBfloat16 {
		return float64(math.Float32frombits(uint32(h) << 16))
	}
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 31:
		if frac == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}

// mulSat multiplies non-negative counts, saturating at MaxInt64; -1 if either is negative.
func mulSat(a, b int64) int64 {
	switch {
	case a < 0 || b < 0:
		return -1
	case a != 0 && b > math.MaxInt64/a:
		return math.MaxInt64
	}
	return a * b
}

// Shorten cuts an untrusted name read from a model to at most 80 runes for messages.
func Shorten(s string) string {
	r := []rune(s)
	if len(r) <= 80 {
		return s
	}
	return string(r[:79]) + "…"
}
