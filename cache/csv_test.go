package cache

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/golden"

	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/timing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// kinds has a field of every kind WriteCSV writes.
type kinds struct {
	Name    string  `parquet:"name"`
	OK      bool    `parquet:"ok"`
	I8      int8    `parquet:"i8"`
	I64     int64   `parquet:"i64"`
	U32     uint32  `parquet:"u32"`
	F32     float32 `parquet:"f32"`
	F64     float64 `parquet:"f64"`
	NoTag   int
	hidden  int
	Skipped string    `parquet:"-"`
	List    []float64 `parquet:"list,list" csv:"-"`
}

func writeCSVBytes[T any](t *testing.T, rows []T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "t.csv")
	if err := WriteCSV(path, rows); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	des, _ := os.ReadDir(filepath.Dir(path))
	if len(des) != 1 {
		t.Errorf("WriteCSV left %v, want only t.csv", des)
	}
	return b
}

func TestWriteCSVKindsGolden(t *testing.T) {
	rows := []kinds{
		{Name: "plain", OK: true, I8: -8, I64: math.MaxInt64, U32: math.MaxUint32, F32: 0.1, F64: 0.1, NoTag: 7, hidden: 1, Skipped: "x", List: []float64{1}},
		{Name: "comma, \"quote\"\nnewline", F32: 1e-7, F64: 1e21},
		{Name: " lead space", F64: math.NaN()},
		{Name: "inf", F64: math.Inf(-1), F32: float32(math.Inf(1))},
		{Name: "<b>&", F64: 123456789.125, I64: math.MinInt64},
	}
	golden.Check(t, filepath.Join("testdata", "kinds.csv"), writeCSVBytes(t, rows), *update)
}

func TestWriteCSVTimingGolden(t *testing.T) {
	rows := timingRows(3)
	rows[2].Status, rows[2].Error = "error", `onnxruntime: "Conv", bad input`
	golden.Check(t, filepath.Join("testdata", "timing.csv"), writeCSVBytes(t, rows), *update)
}

func TestWriteCSVStableColumns(t *testing.T) {
	// The column contracts of DESIGN.md: each table's CSV starts with them.
	for _, tc := range []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[flops.Row](), "model,params,file_bytes,macs,flops,activation_bytes,unknown_ops,warnings"},
		{reflect.TypeFor[timing.Row](), "model,device,batch,threads,warmup,runs,latency_ms_median,latency_ms_p90,latency_ms_p99,latency_ms_min,latency_ms_mean,ms_per_image,fps,status,error"},
		{reflect.TypeFor[memory.Row](), "model,device,batch,baseline_bytes,static_bytes,peak_bytes,sampler,status,error"},
		{reflect.TypeFor[accuracy.Row](), "model,dataset,crop,n,top1,top5,top1_ci95,source,skipped"},
	} {
		cols, err := csvColumns(tc.typ)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cols {
			names = append(names, c.name)
		}
		if got := strings.Join(names, ","); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s CSV header %s does not start with %s", tc.typ, got, tc.want)
		}
	}
}

func TestWriteCSVEmptyAndErrors(t *testing.T) {
	if got := string(writeCSVBytes(t, []accuracy.Row(nil))); got != "model,dataset,crop,n,top1,top5,top1_ci95,source,skipped,warnings,status,error,ignored,dataset_images\n" {
		t.Errorf("empty table = %q, want the header only", got)
	}
	type bad struct {
		A []int `parquet:"a"`
	}
	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := WriteCSV(path, []bad{{}}); err == nil || !strings.Contains(err.Error(), `csv:"-"`) {
		t.Errorf("WriteCSV of a slice field: %v, want advice to tag it csv:\"-\"", err)
	}
	if err := WriteCSV(path, []int{1}); err == nil || !strings.Contains(err.Error(), "not a struct") {
		t.Errorf("WriteCSV of ints: %v, want not a struct", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("failed WriteCSV left %s", path)
	}
}

func TestFormatFloatRoundTrips(t *testing.T) {
	for _, f := range []float64{0, 0.1, 1.0 / 3, 1e-6, 9.99e-7, 123456789.125, 1e20, 1e21, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		s := formatFloat(f, 64)
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != f {
			t.Errorf("formatFloat(%v) = %s, reads back as %v, %v", f, s, back, err)
		}
	}
	if got := formatFloat(float64(float32(0.1)), 32); got != "0.1" {
		t.Errorf("float32 0.1 = %s, want 0.1", got)
	}
}
