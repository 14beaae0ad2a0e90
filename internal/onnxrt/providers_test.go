package onnxrt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckProvider(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libonnxruntime.so.1")
	touch := func(name string) {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	touch("libonnxruntime.so.1")
	if err := CheckProvider(lib, "cpu"); err != nil {
		t.Errorf("cpu: %v", err)
	}
	err := CheckProvider(lib, "cuda")
	for _, want := range []string{"libonnxruntime_providers_shared.so", "GPU build of ONNX Runtime 1.24.x", "ONNXRUNTIME_LIB"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("cuda on a CPU build: err %v lacks %q", err, want)
		}
	}
	touch("libonnxruntime_providers_shared.so")
	touch("libonnxruntime_providers_cuda.so")
	if err := CheckProvider(lib, "cuda"); err != nil {
		t.Errorf("cuda with its libraries: %v", err)
	}
	if err := CheckProvider(lib, "tensorrt"); err == nil || !strings.Contains(err.Error(), "libonnxruntime_providers_tensorrt.so") {
		t.Errorf("tensorrt without its library: %v", err)
	}
	if err := CheckProvider(lib, "rocm"); err == nil || !strings.Contains(err.Error(), "want cpu, cuda or tensorrt") {
		t.Errorf("unknown provider: %v", err)
	}
}
