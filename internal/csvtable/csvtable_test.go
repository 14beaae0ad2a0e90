package csvtable

import (
	"bytes"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

type row struct {
	Name   string  `parquet:"name"`
	N      int32   `parquet:"n,optional"`
	U      uint8   `parquet:"u"`
	OK     bool    `parquet:"ok"`
	F32    float32 `parquet:"f32"`
	F64    float64 `parquet:"f64"`
	NoTag  int
	hidden int
	Gone   string    `parquet:"-"`
	List   []float64 `parquet:"list,list" csv:"-"`
}

func TestWriteBothFormats(t *testing.T) {
	rows := []row{
		{Name: "a, \"b\"", N: -3, U: 255, OK: true, F32: 0.1, F64: 1.0 / 3, NoTag: 7, hidden: 9, Gone: "x", List: []float64{1}},
		{Name: "big", F64: 1e21, F32: float32(math.Inf(1))},
		{Name: "tiny", F64: 9.99e-7},
		{Name: "nan", F64: math.NaN()},
	}
	for _, tc := range []struct {
		f    FloatFormat
		want string
	}{
		{Exact, "name,n,u,ok,f32,f64,NoTag\n" +
			"\"a, \"\"b\"\"\",-3,255,true,0.1,0.3333333333333333,7\n" +
			"big,0,0,false,+Inf,1e+21,0\n" +
			"tiny,0,0,false,0,9.99e-07,0\n" +
			"nan,0,0,false,0,NaN,0\n"},
		// Sig10 formats the float32 0.1 as the float64 it widens to.
		{Sig10, "name,n,u,ok,f32,f64,NoTag\n" +
			"\"a, \"\"b\"\"\",-3,255,true,0.1000000015,0.3333333333,7\n" +
			"big,0,0,false,+Inf,1e+21,0\n" +
			"tiny,0,0,false,0,9.99e-07,0\n" +
			"nan,0,0,false,0,NaN,0\n"},
	} {
		var b bytes.Buffer
		if err := Write(&b, rows, tc.f); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("format %d:\n%s\nwant\n%s", tc.f, b.String(), tc.want)
		}
	}
}

func TestEmptyTableHasHeader(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, []row(nil), Exact); err != nil {
		t.Fatal(err)
	}
	if b.String() != "name,n,u,ok,f32,f64,NoTag\n" {
		t.Errorf("empty table = %q, want the header only", b.String())
	}
}

func TestErrors(t *testing.T) {
	type bad struct {
		A []int `parquet:"a"`
	}
	for _, tc := range []struct {
		rows any
		want string
	}{
		{[]bad{{}}, `field A is a []int, which CSV cannot hold; tag it csv:"-"`},
		{[]int{1}, "row type int is not a struct"},
		{row{}, "rows must be a slice of structs"},
		{nil, "rows must be a slice of structs"},
	} {
		var b bytes.Buffer
		err := Write(&b, tc.rows, Exact)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Write(%T) = %v, want an error containing %q", tc.rows, err, tc.want)
		}
		if b.Len() != 0 {
			t.Errorf("failed Write(%T) wrote %q", tc.rows, b.String())
		}
	}
}

func TestColumnsNames(t *testing.T) {
	cols, err := Columns(reflect.TypeFor[row]())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "name,n,u,ok,f32,f64,NoTag" {
		t.Errorf("columns %s", got)
	}
}

func TestExactRoundTrips(t *testing.T) {
	for _, f := range []float64{0, 0.1, 1.0 / 3, 1e-6, 9.99e-7, 123456789.125, 1e20, 1e21, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		s := FormatFloat(f, 64, Exact)
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != f {
			t.Errorf("FormatFloat(%v) = %s, reads back as %v, %v", f, s, back, err)
		}
	}
	if got := FormatFloat(float64(float32(0.1)), 32, Exact); got != "0.1" {
		t.Errorf("float32 0.1 = %s, want 0.1", got)
	}
	if got := FormatFloat(0.1+0.2, 64, Sig10); got != "0.3" {
		t.Errorf("Sig10 0.1+0.2 = %s, want 0.3", got)
	}
}

// A list of strings is one cell, its items joined by ListSeparator; an empty
// or nil list is an empty cell.
func TestListColumn(t *testing.T) {
	type warned struct {
		Model    string   `parquet:"model"`
		Warnings []string `parquet:"warnings,list"`
	}
	var b bytes.Buffer
	rows := []warned{{"a", []string{"few samples", "large spread"}}, {"b", nil}, {"c", []string{"x, \"y\""}}}
	if err := Write(&b, rows, Exact); err != nil {
		t.Fatal(err)
	}
	want := "model,warnings\na,few samples; large spread\nb,\nc,\"x, \"\"y\"\"\"\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
