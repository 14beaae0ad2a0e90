// Package onnxrt locates, fetches and loads the ONNX Runtime shared library
// and wraps a session for one image-classification model.
package onnxrt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Version is the pinned ONNX Runtime release the project is built against.
const Version = "1.24.1"

// ErrNotFound reports that no ONNX Runtime library could be located.
var ErrNotFound = errors.New("onnxrt: ONNX Runtime shared library not found; run 'make setup' or set ONNXRUNTIME_LIB to the path of libonnxruntime.so")

// Platform names the os-arch directory under third_party, e.g. "linux-x64".
func Platform() string {
	arch := runtime.GOARCH
	switch arch {
	case "amd64":
		arch = "x64"
	}
	return runtime.GOOS + "-" + arch
}

// LocalPath is where setup places the library under the repository root.
func LocalPath(root string) string {
	return filepath.Join(root, "third_party", "onnxruntime", Version, Platform(), libName())
}

func libName() string {
	if runtime.GOOS == "darwin" {
		return "libonnxruntime.dylib"
	}
	return "libonnxruntime.so.1"
}

// systemPaths are the usual places a system install puts the library.
var systemPaths = []string{
	"/usr/local/lib/libonnxruntime.so",
	"/usr/local/lib/libonnxruntime.so.1",
	"/usr/lib/libonnxruntime.so",
	"/usr/lib/libonnxruntime.so.1",
	"/usr/lib/x86_64-linux-gnu/libonnxruntime.so",
	"/usr/lib/x86_64-linux-gnu/libonnxruntime.so.1",
	"/usr/lib/aarch64-linux-gnu/libonnxruntime.so",
	"/usr/lib/aarch64-linux-gnu/libonnxruntime.so.1",
}

// Locate finds the shared library: $ONNXRUNTIME_LIB, a system install, then
// <root>/third_party/onnxruntime/<Version>/<platform>/. An empty root means
// the repository root found by walking up from the working directory to go.mod.
func Locate(root string) (string, error) {
	if p := os.Getenv("ONNXRUNTIME_LIB"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("onnxrt: ONNXRUNTIME_LIB=%s: %w", p, err)
		}
		return p, nil
	}
	for _, p := range systemPaths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	root, err := rootOrRepo(root)
	if err != nil {
		return "", ErrNotFound
	}
	p := LocalPath(root)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", ErrNotFound
}

// RepoRoot walks up from the working directory to the directory holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("onnxrt: no go.mod above the working directory")
		}
		dir = parent
	}
}

// rootOrRepo returns root, or the repository root (RepoRoot) when root is
// empty.
func rootOrRepo(root string) (string, error) {
	if root != "" {
		return root, nil
	}
	return RepoRoot()
}
