package headroom

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestParseKB(t *testing.T) {
	got, err := parseKB(strings.NewReader("MemTotal:  8000 kB\nMemAvailable:    2048 kB\n"), "MemAvailable:")
	if err != nil || got != 2048<<10 {
		t.Errorf("parseKB = %d, %v; want %d", got, err, 2048<<10)
	}
	if _, err := parseKB(strings.NewReader("MemTotal: 8000 kB\n"), "MemAvailable:"); err == nil {
		t.Error("a missing key gave no error")
	}
	if _, err := parseKB(strings.NewReader("MemAvailable: lots\n"), "MemAvailable:"); err == nil {
		t.Error("a bad number gave no error")
	}
}

func TestCheck(t *testing.T) {
	lim := Limit{Bytes: 3e9, By: "the address-space limit (ulimit -v)"}
	if err := Check("x", 1e9, lim); err != nil {
		t.Errorf("1 GB of 3 GB refused: %v", err)
	}
	err := Check("the input of batch 4096", 4932501504, lim)
	if err == nil || err.Error() != "out of memory: the input of batch 4096 needs 4.9 GB, more than the 3.0 GB left under the address-space limit (ulimit -v)" {
		t.Errorf("Check = %v", err)
	}
}

// TestAvailableUnderUlimit runs the test binary under ulimit -v (through sh)
// and checks that Available reports the address-space limit.
func TestAvailableUnderUlimit(t *testing.T) {
	if v := os.Getenv("HEADROOM_TEST_PRINT"); v == "1" {
		lim, ok := Available()
		if !ok {
			t.Fatal("no limit known")
		}
		t.Logf("LIMIT %d %s", lim.Bytes, lim.By)
		return
	}
	if _, ok := Available(); !ok {
		t.Fatal("Available knows nothing on this system; it needs /proc/meminfo")
	}
	exe, _ := os.Executable()
	out, err := exec.Command("/bin/sh", "-c", `ulimit -v 3000000 && HEADROOM_TEST_PRINT=1 exec "$0" -test.run TestAvailableUnderUlimit -test.v`, exe).CombinedOutput()
	cmdOut := string(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, cmdOut)
	}
	_, rest, ok := strings.Cut(cmdOut, "LIMIT ")
	if !ok {
		t.Fatalf("child printed no limit:\n%s", cmdOut)
	}
	f := strings.Fields(rest)
	n, _ := strconv.ParseInt(f[0], 10, 64)
	// The limit, less what the process maps, bounds it (or MemAvailable
	// where that is tighter still).
	if n <= 0 || n > 3000000<<10 {
		t.Errorf("under ulimit -v 3000000: %s", rest)
	}
}
