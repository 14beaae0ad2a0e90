package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/download"
	"github.com/dnnbench/dnnbench/internal/testmodel"
)

// served is a model the tests build and serve, with its sha256.
func served(t *testing.T) ([]byte, string) {
	t.Helper()
	b, err := testmodel.Bytes(testmodel.Spec{Hidden: 16})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// leftovers lists the files in dir other than the model and its record.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		if n := de.Name(); !strings.HasSuffix(n, ".onnx") && !strings.HasSuffix(n, ".onnx.sha256") {
			names = append(names, n)
		}
	}
	return names
}

// refusedURL is a URL on 127.0.0.1 where nothing listens.
func refusedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/m.onnx"
	l.Close()
	return url
}

func TestDownloadMirrorFallback(t *testing.T) {
	model, sum := served(t)
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(model) }))
	defer good.Close()
	for _, first := range []string{missing.URL + "/m.onnx", refusedURL(t)} {
		o := opts(t)
		o.Timeouts = download.Timeouts{Connect: time.Second}
		row, _, err := resolveOne(context.Background(), Spec{Name: "m", URLs: []string{first, good.URL + "/m.onnx"}, SHA256: sum}, o)
		if err != nil {
			t.Fatalf("first mirror %s: %v", first, err)
		}
		if got, n, _ := hashFile(row.Path); got != sum || n != int64(len(model)) {
			t.Errorf("first mirror %s: file hashes to %s (%d bytes), want %s", first, got, n, sum)
		}
		if left := leftovers(t, o.Dir); len(left) != 0 {
			t.Errorf("files left: %v", left)
		}
	}
}

func TestDownloadAllMirrorsFailNamesEach(t *testing.T) {
	_, sum := served(t)
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	refused := refusedURL(t)
	o := opts(t)
	o.Timeouts = download.Timeouts{Connect: time.Second}
	_, _, err := resolveOne(context.Background(), Spec{Name: "m", URLs: []string{missing.URL + "/a.onnx", refused}, SHA256: sum}, o)
	if err == nil {
		t.Fatal("no error with every mirror failing")
	}
	for _, want := range []string{"models: m: downloading: all 2 mirrors failed", missing.URL + "/a.onnx: 404 Not Found", refused, "use onnx: PATH"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if left := leftovers(t, o.Dir); len(left) != 0 {
		t.Errorf("files left after 404s: %v", left)
	}
}

func TestDownload404(t *testing.T) {
	_, sum := served(t)
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	_, _, err := resolveOne(context.Background(), Spec{Name: "m", URLs: []string{missing.URL + "/m.onnx"}, SHA256: sum}, opts(t))
	want := "models: m: downloading " + missing.URL + "/m.onnx: 404 Not Found (check your network"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// TestDownloadResumes: the server drops the connection halfway through the
// body once; the download resumes with a Range request for the rest.
func TestDownloadResumes(t *testing.T) {
	model, sum := served(t)
	half := len(model) / 2
	var mu sync.Mutex
	var ranges []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		first := len(ranges) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Content-Length", strconv.Itoa(len(model)))
			w.Write(model[:half])
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // the connection drops mid-body
			}
			return
		}
		http.ServeContent(w, r, "m.onnx", time.Time{}, strings.NewReader(string(model)))
	}))
	defer srv.Close()
	o := opts(t)
	var last, total int64
	progress := func(p Progress) {
		if p.Downloading {
			last, total = p.Done, p.Total
		}
	}
	row, _, err := resolveOneProgress(context.Background(), Spec{Name: "m", URLs: []string{srv.URL + "/m.onnx"}, SHA256: sum}, o, progress)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"", "bytes=" + strconv.Itoa(half) + "-"}; len(ranges) != 2 || ranges[0] != want[0] || ranges[1] != want[1] {
		t.Errorf("Range headers %q, want %q", ranges, want)
	}
	if got, _, _ := hashFile(row.Path); got != sum {
		t.Errorf("resumed file hashes to %s, want %s", got, sum)
	}
	if last != int64(len(model)) || total != int64(len(model)) {
		t.Errorf("progress ended at %d of %d, want %d of %d", last, total, len(model), len(model))
	}
	if left := leftovers(t, o.Dir); len(left) != 0 {
		t.Errorf("files left: %v", left)
	}
}

// TestDownloadResumesAcrossRuns: a part file left by an interrupted run is
// resumed; a server that ignores the range sends the whole file, which
// replaces the part.
func TestDownloadResumesAcrossRuns(t *testing.T) {
	model, sum := served(t)
	for _, honour := range []bool{true, false} {
		var got string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Get("Range")
			if honour {
				http.ServeContent(w, r, "m.onnx", time.Time{}, strings.NewReader(string(model)))
				return
			}
			w.Write(model)
		}))
		o := opts(t)
		os.MkdirAll(o.Dir, 0o755)
		part := filepath.Join(o.Dir, "url-"+sum+".onnx.part")
		if err := os.WriteFile(part, model[:100], 0o644); err != nil {
			t.Fatal(err)
		}
		row, _, err := resolveOne(context.Background(), Spec{Name: "m", URLs: []string{srv.URL}, SHA256: sum}, o)
		srv.Close()
		if err != nil {
			t.Fatalf("honour %v: %v", honour, err)
		}
		if h, _, _ := hashFile(row.Path); h != sum || got != "bytes=100-" {
			t.Errorf("honour %v: file hashes to %s, Range %q; want %s and bytes=100-", honour, h, got, sum)
		}
		if _, err := os.Stat(part); !os.IsNotExist(err) {
			t.Errorf("honour %v: part file still there: %v", honour, err)
		}
	}
}

func TestDownloadChecksumMismatchRemovesFile(t *testing.T) {
	model, _ := served(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(model) }))
	defer srv.Close()
	o := opts(t)
	wrong := strings.Repeat("ab", 32)
	_, _, err := resolveOne(context.Background(), Spec{Name: "m", URLs: []string{srv.URL + "/m.onnx"}, SHA256: wrong}, o)
	want := "models: m: downloading " + srv.URL + "/m.onnx: sha256 "
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "does not match the configured "+wrong+"; the file was deleted") {
		t.Fatalf("error %v, want %q … does not match … deleted", err, want)
	}
	des, _ := os.ReadDir(o.Dir)
	if len(des) != 0 {
		t.Errorf("files left after a mismatch: %v", des)
	}
}

// TestDownloadStallBounded: a server that sends half the body and then
// nothing fails within the idle timeout (resumes included), naming the URL.
func TestDownloadStallBounded(t *testing.T) {
	model, sum := served(t)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(model)))
		w.Write(model[:len(model)/2])
		w.(http.Flusher).Flush()
		<-done
	}))
	defer srv.Close()
	defer close(done)
	o := opts(t)
	o.Timeouts = download.Timeouts{Idle: 200 * time.Millisecond}
	start := time.Now()
	_, _, err := resolveOne(context.Background(), Spec{Name: "m", URLs: []string{srv.URL + "/m.onnx"}, SHA256: sum}, o)
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/m.onnx sent nothing for 200ms") {
		t.Fatalf("error %v, want the URL and the silence", err)
	}
	// One attempt plus at most maxResumes resumes, each bounded by the idle timeout.
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v with a 200ms idle timeout", d)
	}
}

// TestDownloadMismatchAfterResumeStartsAgain: the first half came from a
// damaged copy, so the resumed file fails its sha256; it is deleted and
// fetched once more from the start, without a Range header.
func TestDownloadMismatchAfterResumeStartsAgain(t *testing.T) {
	model, sum := served(t)
	half := len(model) / 2
	damaged := append([]byte{}, model[:half]...)
	damaged[0] ^= 0xff
	var ranges []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ranges = append(ranges, r.Header.Get("Range"))
		if len(ranges) == 1 {
			w.Header().Set("Content-Length", strconv.Itoa(len(model)))
			w.Write(damaged)
			w.(http.Flusher).Flush()
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		http.ServeContent(w, r, "m.onnx", time.Time{}, strings.NewReader(string(model)))
	}))
	defer srv.Close()
	o := opts(t)
	row, _, err := resolveOne(context.Background(), Spec{Name: "m", URLs: []string{srv.URL}, SHA256: sum}, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"", "bytes=" + strconv.Itoa(half) + "-", ""}; strings.Join(ranges, "|") != strings.Join(want, "|") {
		t.Errorf("Range headers %q, want %q", ranges, want)
	}
	if got, _, _ := hashFile(row.Path); got != sum {
		t.Errorf("file hashes to %s, want %s", got, sum)
	}
}
