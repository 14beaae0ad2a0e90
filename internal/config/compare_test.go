package config

import (
	"strings"
	"testing"
)

func TestReportCompare(t *testing.T) {
	const head = "name: t\nmodels:\n  - name: a\n    arch: resnet18\n"
	c, err := Parse("ok.yaml", []byte(head+"report:\n  compare: {base: cpu, new: cpu@/data/jetson-cache}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Report.Compare == nil || c.Report.Compare.Base != "cpu" || c.Report.Compare.New != "cpu@/data/jetson-cache" {
		t.Fatalf("compare %+v", c.Report.Compare)
	}
	b, n, err := ParseSides(c.Report.Compare.Base, c.Report.Compare.New)
	if err != nil || b != (Side{Device: "cpu"}) || n != (Side{Device: "cpu", Cache: "/data/jetson-cache"}) || n.String() != "cpu@/data/jetson-cache" {
		t.Fatalf("sides %+v %+v, %v", b, n, err)
	}
	if c, err := Parse("none.yaml", []byte(head)); err != nil || c.Report.Compare != nil {
		t.Fatalf("no report.compare: %+v, %v; want none by default", c.Report.Compare, err)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"report:\n  compare: {base: cpu}\n", "bad.yaml:6: report.compare needs both base and new"},
		{"report:\n  compare: {base: cpu, new: cpu}\n", `bad.yaml:6: report.compare: base and new are both "cpu"`},
		{"report:\n  compare: {base: cpu@, new: gpu}\n", `bad.yaml:6: report.compare: base "cpu@": nothing after '@'`},
		{"report:\n  compare: {base: ../../etc, new: gpu}\n", `report.compare: base "../../etc": the device "../../etc" is not a valid device name`},
		{"report:\n  compare: {base: cpu, new: gpu, alpha: 0.1}\n", `bad.yaml:6: unknown key "alpha" in report.compare (allowed: base, new)`},
	} {
		_, err := Parse("bad.yaml", []byte(head+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
}
