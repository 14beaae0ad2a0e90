package onnxrt

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/testmodel"
)

// TestOpenSessionMatchesNewSession: reading the first input and output
// from the file gives the same session as asking a temporary session.
func TestOpenSessionMatchesNewSession(t *testing.T) {
	lib, err := Locate("")
	if err != nil {
		t.Fatalf("ONNX Runtime is needed for this test: %v", err)
	}
	if _, err := Init(lib); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := testmodel.Write(path, testmodel.Spec{Size: 16, Hidden: 8}); err != nil {
		t.Fatal(err)
	}
	a, err := NewSession(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenSession(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.in != b.in || a.out != b.out || !reflect.DeepEqual(a.InputShape(), b.InputShape()) || !reflect.DeepEqual(a.OutputShape(), b.OutputShape()) {
		t.Fatalf("NewSession %s%v→%s%v, OpenSession %s%v→%s%v", a.in, a.inShape, a.out, a.outShape, b.in, b.inShape, b.out, b.outShape)
	}
	batch, err := b.NewBatch(3)
	if err != nil {
		t.Fatal(err)
	}
	defer batch.Close()
	if err := batch.Run(); err != nil || len(batch.Output()) != 3000 {
		t.Fatalf("run: %v, %d outputs", err, len(batch.Output()))
	}
}

func TestOpenSessionBadFiles(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.onnx")
	if err := os.WriteFile(junk, []byte("\xff\xff\xff not protobuf"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{junk, filepath.Join(dir, "missing.onnx")} {
		if _, _, err := firstIO(p); err == nil || !strings.Contains(err.Error(), filepath.Base(p)) {
			t.Errorf("%s: err %v", p, err)
		}
	}
}
