package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxNameLen bounds one sanitised path element, leaving room under the
// usual 255-byte limit.
const maxNameLen = 100

// Path returns a path for an artifact (a non-Parquet file such as an ONNX
// model) of stage, <dir>/<stage>/files/<name[0]>/…/<name[n-1]>, and creates
// its parent directories. The name elements come from configs and model files
// and are untrusted: an empty element, ".", "..", one containing a path
// separator or NUL, or an absolute path is an error; any other character
// outside [A-Za-z0-9._-], a leading dot or an overlong element is replaced,
// and the element then gets a short hash of the original before its
// extension ("my net.onnx" → "my_net-1a2b3c4d.onnx"), so distinct names stay
// distinct. The result is always inside the stage's files directory.
func (s *Store) Path(stage string, name ...string) (string, error) {
	dir, err := s.stageDir(stage)
	if err != nil {
		return "", err
	}
	if len(name) == 0 {
		return "", fmt.Errorf("cache: %s: artifact path needs a name", stage)
	}
	base := filepath.Join(dir, filesDir)
	elems := []string{base}
	for _, n := range name {
		safe, err := safeName(n)
		if err != nil {
			return "", fmt.Errorf("cache: %s: artifact name %q: %w", stage, n, err)
		}
		elems = append(elems, safe)
	}
	p := filepath.Join(elems...)
	if rel, err := filepath.Rel(base, p); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("cache: %s: artifact name %q escapes the cache", stage, name)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	return p, nil
}

// safeName maps one untrusted path element to a safe file name.
func safeName(n string) (string, error) {
	switch {
	case n == "":
		return "", fmt.Errorf("empty name")
	case n == "." || n == "..":
		return "", fmt.Errorf("%q is not a file name", n)
	case strings.ContainsAny(n, `/\`+"\x00"):
		return "", fmt.Errorf("contains a path separator or NUL; use a plain file name")
	case filepath.IsAbs(n) || filepath.VolumeName(n) != "":
		return "", fmt.Errorf("is an absolute path; use a plain file name")
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(n); i++ {
		c := n[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || (c == '.' && i > 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		changed = true
		// Keep one '_' per multi-byte character.
		for i+1 < len(n) && n[i+1] >= 0x80 && n[i+1] < 0xC0 {
			i++
		}
	}
	out := b.String()
	if !changed && len(out) <= maxNameLen {
		return out, nil
	}
	sum := sha256.Sum256([]byte(n))
	tag := "-" + hex.EncodeToString(sum[:4])
	ext := filepath.Ext(out)
	if len(ext) < 2 || len(ext) > 16 || ext == out {
		ext = ""
	}
	stem := strings.TrimSuffix(out, ext)
	if room := maxNameLen - len(tag) - len(ext); len(stem) > room {
		stem = stem[:room]
	}
	return stem + tag + ext, nil
}
