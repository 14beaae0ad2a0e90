package onnxrt

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/download"
)

func tgz(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		data []byte
	}{{"package/README.md", []byte("readme")}, {name, data}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.data)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestExtractLibVerifiesChecksum(t *testing.T) {
	lib := []byte("not really a shared library")
	sum := sha256.Sum256(lib)
	good := hex.EncodeToString(sum[:])
	name := "package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
	archive := tgz(t, name, lib)
	match := func(n string) bool { return n == name }

	dir := t.TempDir()
	dst := filepath.Join(dir, "out", "libonnxruntime.so.1")
	if err := extractLib(bytes.NewReader(archive), match, dir, dst, good); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, lib) {
		t.Fatalf("installed library differs: %q", got)
	}

	bad := filepath.Join(dir, "bad", "libonnxruntime.so.1")
	err := extractLib(bytes.NewReader(archive), match, dir, bad, strings.Repeat("0", 64))
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("checksum mismatch error %v", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatalf("library with a bad checksum was installed: %v", err)
	}
	err = extractLib(bytes.NewReader(archive), func(string) bool { return false }, dir, bad, good)
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing member error %v", err)
	}
	if err := extractLib(bytes.NewReader([]byte("not gzip")), match, dir, bad, good); err == nil {
		t.Fatal("corrupt archive accepted")
	}
}

func TestLocateHonoursEnvironment(t *testing.T) {
	t.Setenv("ONNXRUNTIME_LIB", filepath.Join(t.TempDir(), "missing.so"))
	if _, err := Locate(""); err == nil || !strings.Contains(err.Error(), "ONNXRUNTIME_LIB") {
		t.Fatalf("missing ONNXRUNTIME_LIB error %v", err)
	}
	p := filepath.Join(t.TempDir(), "libonnxruntime.so")
	os.WriteFile(p, []byte("x"), 0o644)
	t.Setenv("ONNXRUNTIME_LIB", p)
	if got, err := Locate(""); err != nil || got != p {
		t.Fatalf("Locate = %q, %v; want %q", got, err, p)
	}
}

func TestPinnedPlatforms(t *testing.T) {
	for _, p := range []string{"linux-x64", "linux-arm64"} {
		if len(libSHA256[p]) != 64 || npmArch[p] == "" {
			t.Errorf("%s: no pinned library checksum or npm directory", p)
		}
	}
	if !strings.HasSuffix(LocalPath("/r"), filepath.Join("third_party", "onnxruntime", Version, Platform(), "libonnxruntime.so.1")) {
		t.Errorf("LocalPath %s", LocalPath("/r"))
	}
}

func TestFetchOfficial(t *testing.T) {
	lib := []byte("library bytes")
	sum := sha256.Sum256(lib)
	want := hex.EncodeToString(sum[:])
	archive := tgz(t, "onnxruntime-linux-x64-"+Version+"/lib/libonnxruntime.so."+Version, lib)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/silent.tgz" {
			<-done // accepts and never answers
			return
		}
		w.Write(archive)
	}))
	defer srv.Close()
	defer close(done)
	idle := download.Timeouts{Idle: 300 * time.Millisecond}

	dir := t.TempDir()
	dst := filepath.Join(dir, "lib", "libonnxruntime.so.1")
	if err := fetchOfficial(context.Background(), srv.URL+"/ok.tgz", idle, dir, dst, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, lib) {
		t.Fatalf("installed %q", got)
	}

	start := time.Now()
	err := fetchOfficial(context.Background(), srv.URL+"/silent.tgz", idle, dir, filepath.Join(dir, "x.so"), want)
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/silent.tgz sent nothing for 300ms") {
		t.Fatalf("silent server: error %v, want it to name the URL", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("silent server took %v to fail", d)
	}
}
