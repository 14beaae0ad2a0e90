package download

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// server serves h until the test ends; handlers that block are released
// before the server closes.
func server(t *testing.T, h func(w http.ResponseWriter, r *http.Request, done <-chan struct{})) *httptest.Server {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, done) }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) })
	return srv
}

const idle = 300 * time.Millisecond

func TestSilentServerFailsInBoundedTime(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) { <-done })
	start := time.Now()
	_, err := Get(context.Background(), nil, srv.URL+"/m.onnx", Timeouts{Idle: idle})
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/m.onnx sent nothing for 300ms") {
		t.Fatalf("error %v, want it to name the URL and the silence", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v with a %v idle timeout", d, idle)
	}
}

func TestStalledBodyFails(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("first bytes"))
		w.(http.Flusher).Flush()
		<-done
	})
	b, err := Get(context.Background(), nil, srv.URL, Timeouts{Idle: idle})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if string(got) != "first bytes" || err == nil || !strings.Contains(err.Error(), "sent nothing for 300ms") {
		t.Fatalf("read %q, %v; want the first bytes then the idle error", got, err)
	}
}

func TestSteadyDownloadOutlastsIdleTimeout(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		for range 8 { // 8 × 100 ms: longer than the idle timeout in all, never idle that long
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			time.Sleep(idle / 3)
		}
	})
	b, err := Get(context.Background(), nil, srv.URL, Timeouts{Idle: idle})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil || string(got) != "xxxxxxxx" {
		t.Fatalf("read %q, %v", got, err)
	}
}

func TestCancelStopsDownload(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) { <-done })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := Get(ctx, nil, srv.URL, Timeouts{Idle: time.Hour})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), srv.URL+": interrupted") {
		t.Fatalf("error %v, want an interruption naming the URL", err)
	}
}

func TestStatusAndRefusedNameURL(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) { http.NotFound(w, r) })
	if _, err := Get(context.Background(), nil, srv.URL+"/x", Timeouts{}); err == nil || err.Error() != srv.URL+"/x: 404 Not Found" {
		t.Fatalf("404: error %v", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	if _, err := Get(context.Background(), nil, url, Timeouts{Connect: time.Second}); err == nil || !strings.Contains(err.Error(), url) {
		t.Fatalf("refused: error %v, want it to name %s", err, url)
	}
}

func TestGetFromRange(t *testing.T) {
	const file = "0123456789"
	for _, tc := range []struct {
		name       string
		h          http.HandlerFunc
		body       string
		offset     int64
		errSubstr  string
		wantHeader string
	}{
		{"honoured", func(w http.ResponseWriter, r *http.Request) {
			http.ServeContent(w, r, "m", time.Time{}, strings.NewReader(file))
		}, "456789", 4, "", "bytes=4-"},
		{"ignored", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(file)) }, file, 0, "", "bytes=4-"},
		{"wrong start", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Range", "bytes 2-9/10")
			w.WriteHeader(http.StatusPartialContent)
			w.Write([]byte(file[2:]))
		}, "", 0, `asked for bytes from 4, got Content-Range "bytes 2-9/10"`, "bytes=4-"},
	} {
		var got string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("Range"); tc.h(w, r) }))
		b, err := GetFrom(context.Background(), nil, srv.URL, 4, Timeouts{})
		switch {
		case tc.errSubstr != "":
			if err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.errSubstr)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		default:
			data, err := io.ReadAll(b)
			b.Close()
			if err != nil || string(data) != tc.body || b.Offset != tc.offset {
				t.Errorf("%s: body %q offset %d (%v), want %q at %d", tc.name, data, b.Offset, err, tc.body, tc.offset)
			}
		}
		if got != tc.wantHeader {
			t.Errorf("%s: Range header %q, want %q", tc.name, got, tc.wantHeader)
		}
		srv.Close()
	}
}
