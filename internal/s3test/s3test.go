// Package s3test is the S3 bucket the cache and pipeline tests share: an
// S3-protocol server (gofakes3, in memory) on 127.0.0.1 with the bucket
// "lab", the AWS_* variables that point a client at it, and a listing of
// what the bucket holds. Only tests import it.
package s3test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Bucket is the name of the bucket Start creates.
const Bucket = "lab"

// Server is a running in-memory S3 server.
type Server struct {
	// URL is the server's endpoint, http://127.0.0.1:PORT.
	URL string
	// Backend holds the buckets' objects.
	Backend *s3mem.Backend
}

// Start starts a server with the bucket Bucket and closes it when the test
// ends. wrap, if not nil, wraps gofakes3's handler (to check signatures or
// inject faults); opts are gofakes3's options.
func Start(t testing.TB, wrap func(http.Handler) http.Handler, opts ...gofakes3.Option) *Server {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(backend, opts...).Server()
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewUnstartedServer(h)
	// Writes after a connection a test cut are expected; keep them out of the log.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.Start()
	t.Cleanup(ts.Close)
	return &Server{URL: ts.URL, Backend: backend}
}

// Env sets, for the test, the standard AWS_* variables that point a client
// (and the child processes it starts) at endpoint with the given keys, as a
// user of MinIO would, and hides the user's own AWS files and profile.
// extra are more variables as key, value pairs.
func Env(t testing.TB, endpoint, key, secret string, extra ...string) {
	t.Helper()
	if len(extra)%2 != 0 {
		t.Fatalf("s3test: extra variables %q are not key, value pairs", extra)
	}
	none := filepath.Join(t.TempDir(), "none")
	vars := []string{
		"AWS_ENDPOINT_URL", endpoint, "AWS_ACCESS_KEY_ID", key, "AWS_SECRET_ACCESS_KEY", secret,
		"AWS_REGION", "us-east-1", "AWS_CONFIG_FILE", none, "AWS_SHARED_CREDENTIALS_FILE", none,
		"AWS_EC2_METADATA_DISABLED", "true", "AWS_PROFILE", "", "AWS_SESSION_TOKEN", "", "AWS_ENDPOINT_URL_S3", "",
	}
	vars = append(vars, extra...)
	for i := 0; i < len(vars); i += 2 {
		t.Setenv(vars[i], vars[i+1])
	}
}

// Objects lists the keys under prefix in Bucket, sorted.
func Objects(t testing.TB, backend *s3mem.Backend, prefix string) []string {
	t.Helper()
	p := &gofakes3.Prefix{}
	if prefix != "" {
		p = &gofakes3.Prefix{Prefix: prefix, HasPrefix: true}
	}
	res, err := backend.ListBucket(Bucket, p, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range res.Contents {
		out = append(out, o.Key)
	}
	slices.Sort(out)
	return out
}
