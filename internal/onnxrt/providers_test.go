package onnxrt

import (
	"errors"
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

func TestIsProviderUnavailable(t *testing.T) {
	for _, c := range []struct {
		msg  string
		want bool
	}{
		// Recorded from ONNX Runtime 1.24.1 when the CUDA provider's library is broken.
		{"onnxrt: /onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1957 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library /tmp/x/libonnxruntime_providers_shared.so with error: /tmp/x/libonnxruntime_providers_shared.so: file too short", true},
		{"onnxrt: CUDA execution provider unavailable (install the GPU build ...): boom", true},
		{"onnxrt: m.onnx: Load model from m.onnx failed: No such file or directory", false},
	} {
		if got := IsProviderUnavailable(errors.New(c.msg)); got != c.want {
			t.Errorf("%q: %v, want %v", c.msg, got, c.want)
		}
	}
}
