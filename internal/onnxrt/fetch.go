package onnxrt

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/dnnbench/dnnbench/internal/download"
)

// Pinned checksums. The npm package onnxruntime-node@1.24.1 ships the CPU
// library for Linux x64 and arm64; both the package and the libraries are pinned.
const (
	npmPackage       = "onnxruntime-node@" + Version
	npmTarballSHA256 = "57181cf6e6e711b155c5b942d591fd63ded0b5de5c4922d51fd994e7f6ac2772"
)

// libSHA256 maps a platform to the pinned sha256 of libonnxruntime.so.1.
var libSHA256 = map[string]string{
	"linux-x64":   "53ef1ac028dd1b05554b8da28d9159eb3876f99868193d2aaa6e67f0243c23d4",
	"linux-arm64": "7954e8bdedb497f830c6a679e818d98399b7f4d81ade1126c3e0be74d28111ab",
}

// npmArch maps a platform to the directory inside the npm package.
var npmArch = map[string]string{"linux-x64": "x64", "linux-arm64": "arm64"}

// officialURL is the release archive of the official build for a platform.
func officialURL(platform string) string {
	return fmt.Sprintf("https://github.com/microsoft/onnxruntime/releases/download/v%s/onnxruntime-%s-%s.tgz", Version, platform, Version)
}

// Setup makes sure the library is present: if Locate finds one it is
// returned; otherwise the official release archive is tried, then the npm
// package, each verified against the pinned checksum and installed at
// LocalPath(root). step reports what is being tried (may be nil).
func Setup(ctx context.Context, root string, step func(string)) (string, error) {
	if step == nil {
		step = func(string) {}
	}
	if p, err := Locate(root); err == nil {
		return p, nil
	}
	root, err := rootOrRepo(root)
	if err != nil {
		return "", err
	}
	platform := Platform()
	want, ok := libSHA256[platform]
	if !ok {
		return "", fmt.Errorf("onnxrt: no pinned ONNX Runtime %s build for %s; install it and set ONNXRUNTIME_LIB", Version, platform)
	}
	dst := LocalPath(root)
	tmp, err := os.MkdirTemp("", "onnxrt-setup-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)

	var errs []error
	step("fetching " + officialURL(platform))
	if err := fetchOfficial(ctx, officialURL(platform), download.Timeouts{}, tmp, dst, want); err != nil {
		errs = append(errs, fmt.Errorf("official archive: %w", err))
	} else {
		return dst, nil
	}
	step("fetching " + npmPackage + " with npm pack")
	if err := fetchNPM(ctx, platform, tmp, dst, want); err != nil {
		errs = append(errs, fmt.Errorf("npm: %w", err))
	} else {
		return dst, nil
	}
	return "", fmt.Errorf("onnxrt: could not obtain ONNX Runtime %s (%v); install it and set ONNXRUNTIME_LIB to libonnxruntime.so", Version, errors.Join(errs...))
}

// fetchOfficial downloads the release archive at url and installs its
// library; a server that stops sending fails after t.Idle.
func fetchOfficial(ctx context.Context, url string, t download.Timeouts, tmp, dst, want string) error {
	body, err := download.Get(ctx, nil, url, t)
	if err != nil {
		return err
	}
	defer body.Close()
	suffix := "/lib/libonnxruntime.so." + Version
	if err := extractLib(body, func(name string) bool { return strings.HasSuffix(name, suffix) }, tmp, dst, want); err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	return nil
}

func fetchNPM(ctx context.Context, platform, tmp, dst, want string) error {
	if _, err := exec.LookPath("npm"); err != nil {
		return errors.New("npm is not installed")
	}
	cmd := exec.CommandContext(ctx, "npm", "pack", npmPackage, "--pack-destination", tmp, "--silent")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm pack %s: %v: %s", npmPackage, err, strings.TrimSpace(string(out)))
	}
	tgz := filepath.Join(tmp, "onnxruntime-node-"+Version+".tgz")
	sum, err := fileSHA256(tgz)
	if err != nil {
		return err
	}
	if sum != npmTarballSHA256 {
		return fmt.Errorf("%s: sha256 %s, want %s", filepath.Base(tgz), sum, npmTarballSHA256)
	}
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	name := "package/bin/napi-v6/linux/" + npmArch[platform] + "/libonnxruntime.so.1"
	return extractLib(f, func(n string) bool { return n == name }, tmp, dst, want)
}

// extractLib copies the first tar.gz member accepted by match to dst after
// checking its sha256 against want.
func extractLib(r io.Reader, match func(string) bool, tmp, dst, want string) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return errors.New("library not found in archive")
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg || !match(h.Name) {
			continue
		}
		part := filepath.Join(tmp, "lib.part")
		out, err := os.Create(part)
		if err != nil {
			return err
		}
		hash := sha256.New()
		_, cerr := io.Copy(io.MultiWriter(out, hash), tr)
		if err := out.Close(); cerr == nil {
			cerr = err
		}
		if cerr != nil {
			return cerr
		}
		if got := hex.EncodeToString(hash.Sum(nil)); got != want {
			return fmt.Errorf("%s: sha256 %s, want %s", h.Name, got, want)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		staged := dst + ".tmp"
		if err := copyFile(part, staged); err != nil {
			return err
		}
		return os.Rename(staged, dst)
	}
}

func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = io.Copy(out, in)
	return err
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
