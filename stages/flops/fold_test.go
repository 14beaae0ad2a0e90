package flops

import (
	"encoding/binary"
	"math"
	"reflect"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// foldCase evaluates one node on constant inputs and checks its folded value.
type foldCase struct {
	name  string
	op    string
	ins   []string
	attrs []*onnx.AttributeProto
	want  []int64
	dims  []int64
}

// constants are the initializers every fold case can read.
func foldConstants(b *builder) {
	b.ints("v", nil, 4, -3, 7, 0) // [4]
	b.ints("m", []int64{2, 3}, 1, 2, 3, 4, 5, 6)
	b.ints("two", []int64{}, 2)
	b.ints("neg1", nil, -1)
	b.ints("zero1", nil, 0)
	b.ints("big", nil, math.MaxInt64)
	b.ints("min", nil, math.MinInt64)
	b.ints("reps", nil, 2, 1)
	b.ints("shape21", nil, 2, 1)
	b.ints("col", []int64{2, 1}, 2, 1)
	b.ints("idx", nil, -1, 0)
	b.g.Initializer = append(b.g.Initializer,
		&onnx.TensorProto{Name: "f", DataType: dtFloat, Dims: []int64{3}, FloatData: []float32{2.5, -1.5, 9}},
		&onnx.TensorProto{Name: "d", DataType: dtDouble, Dims: []int64{2}, DoubleData: []float64{0.25, 4}},
		&onnx.TensorProto{Name: "h", DataType: dtFloat16, Dims: []int64{2}, RawData: []byte{0x00, 0x3c, 0x00, 0xc1}}, // 1, -2.5
		&onnx.TensorProto{Name: "bf", DataType: dtBfloat16, Dims: []int64{1}, Int32Data: []int32{0x4040}},            // 3
		&onnx.TensorProto{Name: "i32", DataType: dtInt32, Dims: []int64{2}, Int32Data: []int32{-5, 6}},
		&onnx.TensorProto{Name: "u8", DataType: dtUint8, Dims: []int64{2}, RawData: []byte{200, 1}},
		&onnx.TensorProto{Name: "i16", DataType: dtInt16, Dims: []int64{1}, RawData: binary.LittleEndian.AppendUint16(nil, 0xfffe)},
		&onnx.TensorProto{Name: "b", DataType: dtBool, Dims: []int64{4}, Int32Data: []int32{1, 0, 1, 0}},
	)
}

func TestConstantFolding(t *testing.T) {
	toInt64 := aInt("to", dtInt64)
	for _, tc := range []foldCase{
		{"neg", "Neg", []string{"v"}, nil, []int64{-4, 3, -7, 0}, []int64{4}},
		{"abs", "Abs", []string{"v"}, nil, []int64{4, 3, 7, 0}, []int64{4}},
		{"sub", "Sub", []string{"v", "two"}, nil, []int64{2, -5, 5, -2}, []int64{4}},
		{"div", "Div", []string{"v", "two"}, nil, []int64{2, -1, 3, 0}, []int64{4}},
		{"div_by_zero", "Div", []string{"two", "zero1"}, nil, []int64{0}, []int64{1}},
		{"mod", "Mod", []string{"v", "two"}, nil, []int64{0, 1, 1, 0}, []int64{4}},
		{"pow", "Pow", []string{"v", "two"}, nil, []int64{16, 9, 49, 0}, []int64{4}},
		{"max", "Max", []string{"v", "zero1"}, nil, []int64{4, 0, 7, 0}, []int64{4}},
		{"min3", "Min", []string{"v", "zero1", "two"}, nil, []int64{0, -3, 0, 0}, []int64{4}},
		{"less", "Less", []string{"v", "zero1"}, nil, []int64{0, 1, 0, 0}, []int64{4}},
		{"greater_eq", "GreaterOrEqual", []string{"v", "zero1"}, nil, []int64{1, 0, 1, 1}, []int64{4}},
		{"and", "And", []string{"b", "b"}, nil, []int64{1, 0, 1, 0}, []int64{4}},
		{"broadcast_mul", "Mul", []string{"m", "col"}, nil, []int64{2, 4, 6, 4, 5, 6}, []int64{2, 3}},
		{"reduce_prod", "ReduceProd", []string{"m"}, []*onnx.AttributeProto{aInts("axes", 1)}, []int64{6, 120}, []int64{2, 1}},
		{"reduce_sum_all", "ReduceSum", []string{"m"}, []*onnx.AttributeProto{aInt("keepdims", 0)}, []int64{21}, nil},
		{"reduce_max", "ReduceMax", []string{"m"}, []*onnx.AttributeProto{aInts("axes", 0)}, []int64{4, 5, 6}, []int64{1, 3}},
		{"reduce_min", "ReduceMin", []string{"v"}, []*onnx.AttributeProto{aInts("axes", 0), aInt("keepdims", 0)}, []int64{-3}, nil},
		{"transpose", "Transpose", []string{"m"}, nil, []int64{1, 4, 2, 5, 3, 6}, []int64{3, 2}},
		{"slice_reverse", "Slice", []string{"v", "neg1", "min", "zero1", "neg1"}, nil, []int64{0, 7, -3, 4}, []int64{4}},
		{"slice_to_max", "Slice", []string{"m", "neg1", "big", "neg1"}, nil, []int64{3, 6}, []int64{2, 1}},
		{"gather_neg", "Gather", []string{"m", "idx"}, []*onnx.AttributeProto{aInt("axis", 1)}, []int64{3, 1, 6, 4}, []int64{2, 2}},
		{"expand", "Expand", []string{"two", "shape21"}, nil, []int64{2, 2}, []int64{2, 1}},
		{"unsqueeze_attr", "Unsqueeze", []string{"v"}, []*onnx.AttributeProto{aInts("axes", -1)}, []int64{4, -3, 7, 0}, []int64{4, 1}},
		{"cast_float", "Cast", []string{"f"}, []*onnx.AttributeProto{toInt64}, []int64{2, -1, 9}, []int64{3}},
		{"cast_double", "Cast", []string{"d"}, []*onnx.AttributeProto{toInt64}, []int64{0, 4}, []int64{2}},
		{"cast_half", "Cast", []string{"h"}, []*onnx.AttributeProto{toInt64}, []int64{1, -2}, []int64{2}},
		{"cast_bfloat", "Cast", []string{"bf"}, []*onnx.AttributeProto{toInt64}, []int64{3}, []int64{1}},
		{"cast_bool", "Cast", []string{"v"}, []*onnx.AttributeProto{aInt("to", dtBool)}, []int64{1, 1, 1, 0}, []int64{4}},
		{"int32", "Identity", []string{"i32"}, nil, []int64{-5, 6}, []int64{2}},
		{"uint8", "Identity", []string{"u8"}, nil, []int64{200, 1}, []int64{2}},
		{"int16", "Identity", []string{"i16"}, nil, []int64{-2}, []int64{1}},
		{"size", "Size", []string{"m"}, nil, []int64{6}, nil},
		{"shape_start", "Shape", []string{"m"}, []*onnx.AttributeProto{aInt("start", -1)}, []int64{3}, []int64{1}},
		{"constant_of_shape_default", "ConstantOfShape", []string{"shape21"}, nil, nil, []int64{2, 1}},
		{"concat_axis1", "Concat", []string{"m", "m"}, []*onnx.AttributeProto{aInt("axis", 1)}, []int64{1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}, []int64{2, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(13)
			foldConstants(b)
			b.node(tc.op, tc.ins, []string{"y"}, tc.attrs...).output("y")
			res := b.analyze(t, 1)
			checkShape(t, res, "y", tc.dims...)
			if tc.want == nil {
				return
			}
			got, ok := res.Shapes.Constant("y")
			if !ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s folds to %v (%v), want %v", tc.op, got, ok, tc.want)
			}
		})
	}
}

func TestFloatFolding(t *testing.T) {
	// Float arithmetic then Cast back to integers: floor(2.5×2)=5, ceil(-1.5)=-1,
	// sqrt(9)=3, 1/0.25=4.
	b := newBuilder(13)
	foldConstants(b)
	b.node("Cast", []string{"two"}, []string{"twof"}, aInt("to", dtFloat)).
		node("Mul", []string{"f", "twof"}, []string{"f2"}).
		node("Floor", []string{"f2"}, []string{"fl"}).
		node("Cast", []string{"fl"}, []string{"a"}, aInt("to", dtInt64)).
		node("Ceil", []string{"f"}, []string{"c"}).
		node("Cast", []string{"c"}, []string{"ci"}, aInt("to", dtInt64)).
		node("Sqrt", []string{"f"}, []string{"s"}).
		node("Cast", []string{"s"}, []string{"si"}, aInt("to", dtInt64)).
		node("Reciprocal", []string{"d"}, []string{"r"}).
		node("Cast", []string{"r"}, []string{"ri"}, aInt("to", dtInt64)).
		node("Constant", nil, []string{"k"}, aFloat("value_float", 1.5)).
		node("Add", []string{"k", "twof"}, []string{"kk"}).
		node("Cast", []string{"kk"}, []string{"ki"}, aInt("to", dtInt64)).
		output("a").output("ci").output("si").output("ri").output("ki")
	res := b.analyze(t, 1)
	for name, want := range map[string][]int64{"a": {5, -3, 18}, "ci": {3, -1, 9}, "ri": {4, 0}, "ki": {3}} {
		if got, _ := res.Shapes.Constant(name); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// sqrt(-1.5) is NaN: Cast gives 0, as toInt documents.
	if got, _ := res.Shapes.Constant("si"); !reflect.DeepEqual(got, []int64{1, 0, 3}) {
		t.Errorf("si = %v, want [1 0 3]", got)
	}
}

func TestTileAndInferShapesAPI(t *testing.T) {
	b := newBuilder(13).input("x", "N", 3, 2).ints("reps", nil, 1, 2, 3).
		node("Tile", []string{"x", "reps"}, []string{"y"}).output("y")
	m := mustReadBytes(t, b.bytes(t))
	inf, err := InferShapes(m, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := inf.Shape("y"); !ok || !reflect.DeepEqual(d, []int64{5, 6, 6}) {
		t.Errorf("tile shape %v (%v), want [5 6 6]", d, ok)
	}
	if _, ok := inf.Shape("nope"); ok {
		t.Error("unknown tensor has a shape")
	}
	if _, err := InferShapes(m, 0, nil); err == nil {
		t.Error("batch 0 accepted")
	}
}
