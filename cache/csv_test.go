package cache

import (
	"bytes"
	"flag"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/csvtable"
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
	var b bytes.Buffer
	if err := WriteCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
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
	rows[2].JoulesPerImage, rows[2].EnergySource = math.NaN(), "none: no RAPL counter: /sys/class/powercap does not exist"
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
		cols, err := csvtable.Columns(tc.typ)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cols {
			names = append(names, c.Name)
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
	var b bytes.Buffer
	if err := WriteCSV(&b, []bad{{}}); err == nil || !strings.Contains(err.Error(), `csv:"-"`) || !strings.HasPrefix(err.Error(), "cache: csv: ") {
		t.Errorf("WriteCSV of a slice field: %v, want advice to tag it csv:\"-\"", err)
	}
	if err := WriteCSV(&b, []int{1}); err == nil || !strings.Contains(err.Error(), "not a struct") {
		t.Errorf("WriteCSV of ints: %v, want not a struct", err)
	}
	if b.Len() != 0 {
		t.Errorf("failed WriteCSV wrote %q", b.String())
	}
}
