package s3test

import (
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestStartEnvObjects(t *testing.T) {
	var seen int
	srv := Start(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen++
			next.ServeHTTP(w, r)
		})
	})
	for _, k := range []string{"a/2", "a/1", "b/1"} {
		if _, err := srv.Backend.PutObject(Bucket, k, nil, strings.NewReader("x"), 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := Objects(t, srv.Backend, ""); !slices.Equal(got, []string{"a/1", "a/2", "b/1"}) {
		t.Errorf("all objects %q; want the three keys sorted", got)
	}
	if got := Objects(t, srv.Backend, "a/"); !slices.Equal(got, []string{"a/1", "a/2"}) {
		t.Errorf("objects under a/ %q; want a/1, a/2", got)
	}
	res, err := http.Get(srv.URL + "/" + Bucket + "/b/1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || seen != 1 {
		t.Errorf("GET through the server: status %d, wrapper saw %d requests; want 200 and 1", res.StatusCode, seen)
	}
	Env(t, srv.URL, "k", "s", "AWS_MAX_ATTEMPTS", "1")
	for k, want := range map[string]string{"AWS_ENDPOINT_URL": srv.URL, "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_MAX_ATTEMPTS": "1", "AWS_PROFILE": ""} {
		if got := os.Getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
