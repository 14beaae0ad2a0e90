package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/parquet-go/parquet-go"

	"github.com/dnnbench/dnnbench/internal/s3test"
)

// testAccessKey is the only access key the test server accepts.
const testAccessKey = "dnnbench-test-key"

// s3Server is an S3-protocol server (gofakes3, in memory) on 127.0.0.1.
type s3Server struct {
	url     string
	backend *s3mem.Backend
	// cut, when set, makes the server drop the connection of a PUT halfway
	// through its body, as when the uploading process is killed.
	cut atomic.Bool
	// cuts counts the PUTs it cut.
	cuts atomic.Int32
}

// startS3 starts the server with the bucket "lab" and points the standard
// AWS_* variables at it, as a user of MinIO would.
func startS3(t testing.TB) *s3Server {
	t.Helper()
	srv := &s3Server{}
	fake := s3test.Start(t, srv.handler, gofakes3.WithIntegrityCheck(true))
	srv.url, srv.backend = fake.URL, fake.Backend
	s3test.Env(t, srv.url, testAccessKey, testSecret, "AWS_MAX_ATTEMPTS", "1")
	return srv
}

// testSecret is the secret key of testAccessKey.
const testSecret = "secret"

var authRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/\d{8}/([^/]+)/s3/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$`)

// s3Error answers with an S3 error document, as S3 does.
func s3Error(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

// verified reports whether r carries a valid SigV4 signature by
// testSecret: it signs a copy of the request's signed headers again.
func verified(r *http.Request, region, signed, sig string) bool {
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return false
	}
	c, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return false
	}
	c.Host = r.Host
	c.ContentLength = r.ContentLength
	for _, h := range strings.Split(signed, ";") {
		if h != "host" {
			c.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret}
	if err := signer.SignHTTP(context.Background(), creds, c, r.Header.Get("X-Amz-Content-Sha256"), "s3", region, at); err != nil {
		return false
	}
	m := authRE.FindStringSubmatch(c.Header.Get("Authorization"))
	return m != nil && m[3] == signed && m[4] == sig
}

// handler checks the access key and the signature as S3 does (gofakes3
// accepts any) and cuts PUTs when asked.
func (srv *s3Server) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := authRE.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil || m[1] != testAccessKey {
			s3Error(w, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
			return
		}
		if !verified(r, m[2], m[3], m[4]) {
			s3Error(w, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
			return
		}
		if r.Method == http.MethodPut && srv.cut.Load() && r.ContentLength > 1 {
			srv.cuts.Add(1)
			// The server reads half the body, then the connection dies.
			r.Body = &cutBody{r: r.Body, left: r.ContentLength / 2, w: w}
		}
		next.ServeHTTP(w, r)
	})
}

// cutBody yields the first left bytes of a request body, then closes the
// client's connection and fails, as a killed client's request does.
type cutBody struct {
	r    io.ReadCloser
	left int64
	w    http.ResponseWriter
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		if hj, ok := c.w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cutBody) Close() error { return c.r.Close() }

// objects lists the bucket's object keys.
func (srv *s3Server) objects(t testing.TB) []string {
	t.Helper()
	return s3test.Objects(t, srv.backend, "")
}

// countingTransport counts the HTTP requests sent through it, by method.
type countingTransport struct {
	mu    sync.Mutex
	count map[string]int
	next  http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.count[r.Method]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func mirror(t testing.TB, url string, opt S3Options) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenS3(context.Background(), url, opt)
	if err != nil {
		t.Fatal(err)
	}
	s.SetRemote(r)
	return s
}

func mustSync(t testing.TB, s *Store) SyncReport {
	t.Helper()
	rep, err := s.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestS3Mirror: entries one store puts reach another store on the same
// bucket prefix through Sync, packed entries are uploaded as entries of
// their own, documents travel and follow changes, and other prefixes and
// foreign objects are left alone.
func TestS3Mirror(t *testing.T) {
	srv := startS3(t)
	a := mirror(t, "s3://lab/fleet", S3Options{})
	if rep := mustSync(t, a); rep.Listed != 0 || rep.Downloaded != 0 || rep.Uploaded != 0 {
		t.Fatalf("empty bucket: %+v", rep)
	}
	k1, k2 := key(t, "one"), key(t, "two")
	if err := Put(a, "timing", k1, []row{{Model: "a", Batch: 1, Ms: 1.5}}); err != nil {
		t.Fatal(err)
	}
	if err := a.PutDoc("conditions", "cpu.json", []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	want := []string{"fleet/conditions/cpu.json", "fleet/timing/" + k1 + ".parquet"}
	if got := srv.objects(t); !slices.Equal(got, want) {
		t.Fatalf("bucket after Put: %v, want %v", got, want)
	}
	// A foreign object and another prefix's entry are not this cache's.
	if _, err := srv.backend.PutObject("lab", "fleet/notes.txt", nil, strings.NewReader("x"), 1, nil); err != nil {
		t.Fatal(err)
	}
	other := mirror(t, "s3://lab/other", S3Options{})
	if err := Put(other, "timing", k2, []row{{Model: "z"}}); err != nil {
		t.Fatal(err)
	}

	b := mirror(t, "s3://lab/fleet/", S3Options{})
	rep := mustSync(t, b)
	if rep.Listed != 2 || rep.Ignored != 1 || rep.Downloaded != 2 || rep.Uploaded != 0 {
		t.Errorf("first sync of b: %+v, want 2 listed, 1 ignored, 2 downloaded", rep)
	}
	got, err := All[row](b, "timing")
	if err != nil || len(got) != 1 || got[0].Model != "a" || got[0].Ms != 1.5 {
		t.Fatalf("b's timing rows %v, %v; want a's one row", got, err)
	}
	if doc, ok, err := b.Doc("conditions", "cpu.json"); err != nil || !ok || string(doc) != `{"v":1}` {
		t.Errorf("b's document %q %v %v", doc, ok, err)
	}
	if rep := mustSync(t, b); rep.Downloaded != 0 || rep.Uploaded != 0 {
		t.Errorf("second sync of b copied again: %+v", rep)
	}

	// b compacts its copy (under the lock); its entries, now only in a
	// pack, are uploaded as entries when a fresh bucket prefix needs them.
	unlock, err := b.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := Put(b, "timing", k2, []row{{Model: "b", Batch: 2}}); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if loose, _ := listEntries(filepath.Join(b.Dir(), "timing")); len(loose) != 0 {
		t.Fatalf("unlock left loose entries %v", loose)
	}
	moved, err := OpenS3(context.Background(), "s3://lab/moved", S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.SetRemote(moved)
	if rep := mustSync(t, b); rep.Uploaded != 3 {
		t.Errorf("sync of a packed copy to an empty prefix: %+v, want 3 uploaded (2 entries, 1 document)", rep)
	}
	c := mirror(t, "s3://lab/moved", S3Options{})
	mustSync(t, c)
	got, err = All[row](c, "timing")
	if err != nil || len(got) != 2 || got[0].Model+got[1].Model != map[bool]string{true: "ab", false: "ba"}[k1 < k2] {
		t.Errorf("rows re-encoded from a pack: %v, %v", got, err)
	}

	// A changed document replaces the copy's on the next sync.
	if err := a.PutDoc("conditions", "cpu.json", []byte(`{"v":2}`)); err != nil {
		t.Fatal(err)
	}
	b.SetRemote(a.Remote())
	if rep := mustSync(t, b); rep.Downloaded != 1 {
		t.Errorf("sync after a document changed: %+v, want 1 download", rep)
	}
	if doc, _, _ := b.Doc("conditions", "cpu.json"); string(doc) != `{"v":2}` {
		t.Errorf("document after change: %q", doc)
	}
}

// TestS3KilledUploadLeavesNoEntry cuts the connection of every upload
// halfway through its body: the bucket holds no object, not even a partial
// one; the entry stays in the local copy, Flush says so, and the next Sync
// uploads it whole.
func TestS3KilledUploadLeavesNoEntry(t *testing.T) {
	srv := startS3(t)
	s := mirror(t, "s3://lab/p", S3Options{})
	mustSync(t, s)
	srv.cut.Store(true)
	k := key(t, "cut")
	rows := make([]row, 200) // a body of a few kilobytes
	for i := range rows {
		rows[i] = row{Model: strings.Repeat("m", 20) + strconv.Itoa(i), Batch: int64(i)}
	}
	if err := Put(s, "timing", k, rows); err != nil {
		t.Fatalf("Put reports a failed upload: %v", err)
	}
	if srv.cuts.Load() == 0 {
		t.Fatal("no upload was cut")
	}
	if got := srv.objects(t); len(got) != 0 {
		t.Fatalf("the bucket holds %v after the upload was cut", got)
	}
	err := s.Flush(context.Background())
	if err == nil || !strings.Contains(err.Error(), "1 entries were not uploaded to s3://lab/p") || !strings.Contains(err.Error(), "next run") {
		t.Fatalf("Flush with the server still cutting: %v", err)
	}
	if got := srv.objects(t); len(got) != 0 {
		t.Fatalf("the bucket holds %v after Flush was cut", got)
	}
	if local, ok, err := Get[row](s, "timing", k); err != nil || !ok || len(local) != len(rows) {
		t.Fatalf("local entry: %d rows, %v, %v", len(local), ok, err)
	}
	srv.cut.Store(false)
	if rep := mustSync(t, s); rep.Uploaded != 1 {
		t.Fatalf("sync after the cut: %+v, want 1 upload", rep)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Sync uploaded everything: %v", err)
	}
	other := mirror(t, "s3://lab/p", S3Options{})
	mustSync(t, other)
	if got, ok, err := Get[row](other, "timing", k); err != nil || !ok || len(got) != len(rows) || got[199].Batch != 199 {
		t.Errorf("entry downloaded after the retry: %d rows, %v, %v", len(got), ok, err)
	}
}

// TestS3Errors: a missing bucket, an access key the server does not know,
// an endpoint where nothing listens, no credentials at all, and a bad URL
// each give an error naming what to fix.
func TestS3Errors(t *testing.T) {
	srv := startS3(t)
	syncErr := func(url string) error {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		r, err := OpenS3(context.Background(), url, S3Options{})
		if err != nil {
			return err
		}
		s.SetRemote(r)
		_, err = s.Sync(context.Background())
		return err
	}
	check := func(what string, err error, want ...string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", what, err, w)
			}
		}
	}
	check("missing bucket", syncErr("s3://nosuch/p"), `bucket "nosuch" does not exist`, srv.url, "AWS_ENDPOINT_URL", "create it")

	t.Setenv("AWS_ACCESS_KEY_ID", "wrong-key")
	check("bad access key", syncErr("s3://lab/p"), "does not know the access key", "fix AWS_ACCESS_KEY_ID")

	t.Setenv("AWS_ACCESS_KEY_ID", testAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
	check("wrong secret", syncErr("s3://lab/p"), "signature does not match", "fix AWS_SECRET_ACCESS_KEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	if err := syncErr("s3://lab/p"); err != nil {
		t.Fatalf("the right key and secret: %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	t.Setenv("AWS_ENDPOINT_URL", closed)
	start := time.Now()
	check("unreachable endpoint", syncErr("s3://lab/p"), "cannot reach the server", closed, "AWS_ENDPOINT_URL")
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the unreachable endpoint took %s to report", d)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	check("no credentials", syncErr("s3://lab/p"), "no AWS credentials found", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE")

	for _, bad := range []string{"s3://", "s3://A_B/p", "s3://ab/p", "s3://lab/a/../b", "s3://lab/a//b", "s3://lab/a\nb", "file:///x"} {
		if _, _, err := ParseS3URL(bad); err == nil {
			t.Errorf("ParseS3URL(%q) accepted", bad)
		}
	}
	for in, want := range map[string][2]string{"s3://lab": {"lab", ""}, "s3://lab/": {"lab", ""}, "s3://my.lab-1/a/b/": {"my.lab-1", "a/b"}} {
		b, p, err := ParseS3URL(in)
		if err != nil || b != want[0] || p != want[1] {
			t.Errorf("ParseS3URL(%q) = %q, %q, %v; want %v", in, b, p, err, want)
		}
	}
}

// TestS3ListAndMerge checks the request counts of a lab's sync on 5
// devices × 44 models × 7 batch sizes (1,540 entries, two list pages).
func TestS3ListAndMerge(t *testing.T) { scaleListAndMerge(t, 5) }

// BenchmarkS3ScaleListAndMerge simulates a lab of 100 devices × 44 models ×
// 7 batch sizes (30,800 timing entries) in the bucket: a machine with an
// empty local copy lists, downloads and merges them all, and a second sync
// lists only. It counts the HTTP requests and logs the time each step took:
//
//	go test ./cache -run '^$' -bench S3Scale -benchtime 1x -v
func BenchmarkS3ScaleListAndMerge(b *testing.B) {
	for range b.N {
		scaleListAndMerge(b, 100)
	}
}

func scaleListAndMerge(t testing.TB, devices int) {
	const models, batches = 44, 7
	srv := startS3(t)
	// Fill the bucket through the server's backend (not timed, not counted).
	bodies := map[[2]int][]byte{}
	for m := range models {
		for b := range batches {
			body, err := encodeRows([]row{{Model: fmt.Sprintf("model%02d", m), Batch: int64(1) << b}})
			if err != nil {
				t.Fatal(err)
			}
			bodies[[2]int{m, b}] = body
		}
	}
	n := 0
	for d := range devices {
		for m := range models {
			for b := range batches {
				body := bodies[[2]int{m, b}]
				k := key(t, "scale", d, m, b)
				if _, err := srv.backend.PutObject("lab", "lab100/timing/"+k+".parquet", nil, strings.NewReader(string(body)), int64(len(body)), nil); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
	}
	ct := &countingTransport{count: map[string]int{}, next: http.DefaultTransport}
	s := mirror(t, "s3://lab/lab100", S3Options{HTTPClient: &http.Client{Transport: ct}})
	start := time.Now()
	rep := mustSync(t, s)
	syncTime := time.Since(start)
	// Merge as a run does, under the lock: All compacts the loose entries
	// into a pack first, then reads it.
	start = time.Now()
	unlock := lock(t, s)
	rows, err := All[row](s, "timing")
	if err != nil {
		t.Fatal(err)
	}
	mergeTime := time.Since(start)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if rep.Listed != n || rep.Downloaded != n || len(rows) != n {
		t.Fatalf("synced %+v and merged %d rows, want %d of each", rep, len(rows), n)
	}
	seen := map[string]int{}
	for _, r := range rows {
		seen[r.Model]++
	}
	if len(seen) != models || seen["model00"] != devices*batches {
		t.Errorf("merged rows per model: %v", seen)
	}
	// ListObjectsV2 returns 1000 keys a page.
	pages := (n + 999) / 1000
	if ct.count["GET"] != pages+n || len(ct.count) != 1 {
		t.Errorf("first sync sent %v, want %d list pages + %d object GETs and nothing else", ct.count, pages, n)
	}
	t.Logf("first sync of %d entries (%d devices × %d models × %d batch sizes): %d requests (%d list pages, %d downloads) in %s; merge (compaction and All, under the lock) in %s",
		n, devices, models, batches, ct.count["GET"], pages, n, syncTime.Round(time.Millisecond), mergeTime.Round(time.Millisecond))

	clear(ct.count)
	start = time.Now()
	rep = mustSync(t, s)
	if rep.Downloaded != 0 || rep.Uploaded != 0 || ct.count["GET"] != pages || len(ct.count) != 1 {
		t.Errorf("second sync: %+v with %v requests, want only %d list pages", rep, ct.count, pages)
	}
	t.Logf("second sync (nothing new): %d requests in %s", ct.count["GET"], time.Since(start).Round(time.Millisecond))
}

// TestParallelStopsAtFirstError: once a call fails, Sync's worker pool
// starts no more and returns that error.
func TestParallelStopsAtFirstError(t *testing.T) {
	names := make([]string, 1000)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	var calls atomic.Int32
	boom := errors.New("boom")
	// The other calls last until the failure cancels them, as slow
	// downloads would, so the test does not depend on how the scheduler
	// orders the workers.
	err := parallel(context.Background(), names, func(ctx context.Context, name string) error {
		calls.Add(1)
		if name == "3" {
			return boom
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	if c := calls.Load(); c >= 1000 {
		t.Errorf("%d calls after the failure, want the rest skipped", c)
	}
}

// row is a small cache row for these tests.
type row struct {
	Model string  `parquet:"model"`
	Batch int64   `parquet:"batch"`
	Ms    float64 `parquet:"ms"`
}

func key(t testing.TB, parts ...any) string {
	t.Helper()
	return mustKey(t, 1, parts...)
}

// encodeRows is a loose entry's bytes, as Put writes them.
func encodeRows(rows []row) ([]byte, error) {
	var buf bytes.Buffer
	err := parquet.Write(&buf, rows, parquet.MaxRowsPerRowGroup(packRowGroup))
	return buf.Bytes(), err
}

// TestS3FromProfileFiles: with no AWS_* keys or endpoint in the
// environment, AWS_PROFILE selects credentials from the shared credentials
// file and the endpoint (so path-style addressing) from the config file,
// as the AWS command-line tools read them.
func TestS3FromProfileFiles(t *testing.T) {
	srv := startS3(t)
	dir := t.TempDir()
	creds, conf := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	if err := os.WriteFile(creds, []byte("[lab]\naws_access_key_id = "+testAccessKey+"\naws_secret_access_key = "+testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[profile lab]\nregion = eu-west-1\nendpoint_url = "+srv.url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", conf)
	t.Setenv("AWS_PROFILE", "lab")
	s := mirror(t, "s3://lab/profiled", S3Options{})
	mustSync(t, s)
	if err := Put(s, "timing", key(t, "p"), []row{{Model: "p"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatalf("upload with the profile's credentials: %v", err)
	}
	if got := srv.objects(t); len(got) != 1 || !strings.HasPrefix(got[0], "profiled/timing/") {
		t.Errorf("bucket %v, want the one entry under profiled/timing/", got)
	}
	if !strings.Contains(s.Remote().where, srv.url) {
		t.Errorf("the client does not use the profile's endpoint: %s", s.Remote().where)
	}
}
