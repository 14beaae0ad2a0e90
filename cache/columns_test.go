package cache

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/models"
	"github.com/parquet-go/parquet-go"
)

// sameAsGeneric checks that the column decoder handles T and reads rows
// exactly as parquet-go's generic reader does, across several row groups.
func sameAsGeneric[T any](t *testing.T, rows []T, wantFast bool) {
	t.Helper()
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows, parquet.MaxRowsPerRowGroup(3)); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	fast := make([]T, len(rows))
	ok, err := decodeColumns(f, fast)
	if ok != wantFast {
		t.Fatalf("decodeColumns handles %T: %v, want %v", rows, ok, wantFast)
	}
	if err != nil {
		t.Fatal(err)
	}
	generic, err := decodeRows("test", f, make([]T, len(rows)))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return
	}
	if !reflect.DeepEqual(fast, generic) {
		for i := range fast {
			if !reflect.DeepEqual(fast[i], generic[i]) {
				t.Fatalf("row %d: column decoder and generic reader differ:\n fast    %#v\n generic %#v", i, fast[i], generic[i])
			}
		}
	}
}

func TestColumnsMatchGenericReader(t *testing.T) {
	tr := timingRows(10)
	tr[3].SamplesMs = nil
	tr[4].SamplesMs = []float64{}
	tr[5].Error = "ünïcode, \"quoted\""
	sameAsGeneric(t, tr, true)
	sameAsGeneric(t, []models.Row{{Model: "a", Scale: 255, Bytes: 1 << 40}, {Model: "b", Mean: "0.5 0.5 0.5"}}, true)
	sameAsGeneric(t, []flops.Row{{Model: "a", MACs: 1 << 33, Warnings: []string{"w"}}, {Model: "b"}, {}, {}}, true)
	sameAsGeneric(t, []flops.OpRow{{Model: "a", Op: "Conv", Counted: true}, {Op: "Relu"}, {Counted: true}, {}}, true)
	sameAsGeneric(t, []memory.Row{{Model: "a", ArenaGrowOnly: true, PeakBytes: -1}, {Model: "b"}}, true)
	sameAsGeneric(t, []accuracy.Row{{Model: "a", Top1: 76.13}, {Model: "b", N: 50000}}, true)
	type mixed struct {
		F32   float32   `parquet:"f32"`
		I32   int32     `parquet:"i32"`
		I     int       `parquet:"i"`
		Names []string  `parquet:"names,list"`
		Ints  []int64   `parquet:"ints,list"`
		Empty []float64 `parquet:"empty,list"`
	}
	sameAsGeneric(t, []mixed{{F32: 1.5, I32: -3, I: 1 << 40, Names: []string{"a", "", "c"}, Ints: []int64{1}}, {}, {Names: []string{"z"}}, {I: -1}}, true)
	// Shapes it does not take fall back to the generic reader.
	type small struct {
		I8 int8 `parquet:"i8"`
	}
	sameAsGeneric(t, []small{{1}}, false)
	type optional struct {
		P *int64 `parquet:"p,optional"`
	}
	sameAsGeneric(t, []optional{{}}, false)
}
