package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/dnnbench/dnnbench/internal/diag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dnnbench/dnnbench/internal/conditions"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
)

// version is dnnbench's release version.
const version = "0.1.0"

// hostInfo describes the machine the run is on.
type hostInfo struct {
	CPUModel    string `json:"cpu_model"`
	Cores       int    `json:"cores"`
	MemoryBytes int64  `json:"memory_bytes"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	Kernel      string `json:"kernel"`
	Distro      string `json:"distro"`
}

func readHost() hostInfo {
	h := hostInfo{Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	h.CPUModel, _ = conditions.CPUModel("/proc/cpuinfo")
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				h.MemoryBytes = kb * 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				h.Distro = strings.Trim(v, `"`)
			}
		}
	}
	return h
}

// manifest records what produced a run's outputs.
type manifest struct {
	Tool       string                 `json:"tool"`
	Commit     string                 `json:"commit"`
	Go         string                 `json:"go"`
	ORT        string                 `json:"onnxruntime"`
	Host       hostInfo               `json:"host"`
	Device     config.Device          `json:"device"`
	Conditions *conditions.Conditions `json:"conditions,omitempty"`
	ConfigFile string                 `json:"config_file"`
	ConfigHash string                 `json:"config_sha256"`
	Config     *config.Config         `json:"config"`
	Time       string                 `json:"time"`
	TimeSource string                 `json:"time_source"`
	Stage      string                 `json:"stage"`
	Warnings   []diag.Warning         `json:"warnings"`
}

func (r *runner) manifest() manifest {
	raw, _ := os.ReadFile(r.o.config)
	sum := sha256.Sum256(raw)
	t, src := runTime()
	ort := r.ortVer
	if ort == "" {
		ort = "not loaded (" + "pinned " + onnxrt.Version + ")"
	}
	w := r.warnings
	if w == nil {
		w = []diag.Warning{}
	}
	conds := r.conds
	if conds == nil {
		if c, ok := r.loadConditions(r.dev.Name); ok {
			conds = &c
		}
	}
	return manifest{Tool: "dnnbench " + version, Commit: gitCommit(), Go: runtime.Version(), ORT: ort, Host: r.host, Device: *r.dev,
		Conditions: conds, ConfigFile: r.o.config, ConfigHash: hex.EncodeToString(sum[:]), Config: r.cfg,
		Time: t.UTC().Format(time.RFC3339), TimeSource: src, Stage: r.o.stage, Warnings: w}
}

func (r *runner) writeManifest() error {
	b, err := json.MarshalIndent(r.manifest(), "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	return writeFile(filepath.Join(r.outDir, "manifest.json"), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// runTime is SOURCE_DATE_EPOCH when set (reproducible builds), else now.
func runTime() (time.Time, string) {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(sec, 0), "SOURCE_DATE_EPOCH"
		}
	}
	return time.Now(), "clock"
}

// gitCommit reads the checked-out commit from .git without running git.
func gitCommit() string {
	head, err := os.ReadFile(".git/HEAD")
	if err != nil {
		return "unknown"
	}
	ref, ok := strings.CutPrefix(strings.TrimSpace(string(head)), "ref: ")
	if !ok {
		return strings.TrimSpace(string(head))
	}
	if !strings.HasPrefix(ref, "refs/") || strings.Contains(ref, "..") {
		return "unknown"
	}
	if b, err := os.ReadFile(filepath.Join(".git", ref)); err == nil {
		return strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(".git/packed-refs"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[1] == ref {
				return f[0]
			}
		}
	}
	return "unknown"
}
