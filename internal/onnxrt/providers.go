package onnxrt

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// providerLibs lists, per execution provider, the plug-in libraries ONNX
// Runtime loads from the directory of libonnxruntime.so.
var providerLibs = map[string][]string{
	"cuda":     {"libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"},
	"tensorrt": {"libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so", "libonnxruntime_providers_tensorrt.so"},
}

// CheckProvider reports, before any session is made, whether the library at
// libPath can run provider ("cpu", "cuda" or "tensorrt"). ONNX Runtime's GPU
// providers are separate libraries beside libonnxruntime.so; when one is
// missing the error says which and how to get the GPU build.
func CheckProvider(libPath, provider string) error {
	p := strings.ToLower(provider)
	switch p {
	case "", "cpu":
		return nil
	case "cuda", "tensorrt":
	default:
		return fmt.Errorf("onnxrt: unknown execution provider %q (want cpu, cuda or tensorrt)", provider)
	}
	dirs := []string{filepath.Dir(libPath)}
	if real, err := filepath.EvalSymlinks(libPath); err == nil && filepath.Dir(real) != dirs[0] {
		dirs = append(dirs, filepath.Dir(real))
	}
	for _, lib := range providerLibs[p] {
		if !existsIn(dirs, lib) {
			return fmt.Errorf("onnxrt: the %s execution provider needs %s beside %s, and it is not there: %s",
				p, lib, libPath, gpuBuildHint())
		}
	}
	return nil
}

func existsIn(dirs []string, name string) bool {
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return true
		}
	}
	return false
}

// gpuBuildHint says how to get a GPU build of ONNX Runtime on this platform.
func gpuBuildHint() string {
	if runtime.GOARCH == "arm64" {
		return "install the Jetson (aarch64, JetPack) GPU build of ONNX Runtime " + minor() + " (from NVIDIA's Jetson Zoo or built with --use_cuda --use_tensorrt) and set ONNXRUNTIME_LIB to its libonnxruntime.so"
	}
	return "install the GPU build of ONNX Runtime " + minor() + " (onnxruntime-linux-x64-gpu-" + Version + ".tgz from https://github.com/microsoft/onnxruntime/releases, with CUDA 12 and cuDNN 9; TensorRT 10 for the tensorrt provider) and set ONNXRUNTIME_LIB to its lib/libonnxruntime.so"
}

// minor is the release line, e.g. "1.24.x".
func minor() string {
	if i := strings.LastIndex(Version, "."); i > 0 {
		return Version[:i] + ".x"
	}
	return Version
}

// IsProviderUnavailable reports whether err says an execution provider
// could not be loaded (its library missing or broken, or the build lacks
// it): a problem of the device setup, not of one model.
func IsProviderUnavailable(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	for _, m := range []string{"execution provider unavailable", "libonnxruntime_providers_", "was not registered", "is not enabled in this build"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// ProviderHint explains how to get a build of ONNX Runtime with provider.
func ProviderHint(provider string) string {
	if p := strings.ToLower(provider); p == "cuda" || p == "tensorrt" {
		return gpuBuildHint()
	}
	return "run 'make setup' or set ONNXRUNTIME_LIB to a libonnxruntime.so"
}
