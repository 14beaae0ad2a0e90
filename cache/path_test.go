package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPathSanitises(t *testing.T) {
	s := openTemp(t)
	base := filepath.Join(s.Dir(), "models", filesDir)
	for _, tc := range []struct {
		name []string
		want string // relative to base
	}{
		{[]string{"resnet50.onnx"}, "resnet50.onnx"},
		{[]string{"resnet50", "model.onnx"}, "resnet50/model.onnx"},
		{[]string{"a..b"}, "a..b"},
		{[]string{"my net.onnx"}, "my_net-" + hash8("my net.onnx") + ".onnx"},
		{[]string{".hidden"}, "_hidden-" + hash8(".hidden")},
		{[]string{"..."}, "_..-" + hash8("...")},
		{[]string{"ünïcode"}, "_n_code-" + hash8("ünïcode")},
		{[]string{"$(rm -rf ~);x"}, "__rm_-rf____x-" + hash8("$(rm -rf ~);x")},
		{[]string{"<script>.onnx"}, "_script_-" + hash8("<script>.onnx") + ".onnx"},
	} {
		got, err := s.Path("models", tc.name...)
		if err != nil {
			t.Errorf("Path(%q): %v", tc.name, err)
			continue
		}
		if want := filepath.Join(base, filepath.FromSlash(tc.want)); got != want {
			t.Errorf("Path(%q) = %s, want %s", tc.name, got, want)
		}
		if fi, err := os.Stat(filepath.Dir(got)); err != nil || !fi.IsDir() {
			t.Errorf("Path(%q) did not create its parent: %v", tc.name, err)
		}
	}
	// Distinct names stay distinct.
	a, _ := s.Path("models", "my net")
	b, _ := s.Path("models", "my_net")
	c, _ := s.Path("models", "my-net")
	if a == b || b == c || a == c {
		t.Errorf("names collide: %s %s %s", a, b, c)
	}
	long, err := s.Path("models", strings.Repeat("x", 300)+".onnx")
	if err != nil || len(filepath.Base(long)) > maxNameLen || !strings.HasSuffix(long, ".onnx") {
		t.Errorf("overlong name gave %s, %v", filepath.Base(long), err)
	}
}

// hash8 is the first 8 hex digits of the name's SHA-256.
func hash8(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}

func TestPathRejectsHostileNames(t *testing.T) {
	s := openTemp(t)
	for _, name := range [][]string{
		nil, {""}, {"."}, {".."}, {"../etc/passwd"}, {"a/../../b"}, {"/etc/passwd"}, {`..\..\x`}, {`C:\x`},
		{"a\x00b"}, {"ok", ".."}, {"ok", "sub/dir"},
	} {
		p, err := s.Path("models", name...)
		if err == nil {
			t.Errorf("Path(%q) = %s, want an error", name, p)
		}
	}
	if _, err := s.Path("../models", "x"); err == nil {
		t.Error(`Path("../models", "x") succeeded`)
	}
	// Nothing outside the cache was created.
	parent := filepath.Dir(s.Dir())
	des, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(des) != 1 {
		t.Errorf("the cache's parent holds %v, want only the cache", des)
	}
}
