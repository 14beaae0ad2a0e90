package diag

import "testing"

func TestString(t *testing.T) {
	for _, c := range []struct {
		w    Warning
		want string
	}{
		{Warning{Stage: "timing", Model: "resnet18", Device: "cpu", Batch: 4, Code: "few-samples", Message: "only 3 samples"}, "timing: resnet18 cpu batch 4: only 3 samples"},
		{Warning{Stage: "accuracy", Message: "folder x ignored"}, "accuracy: folder x ignored"},
		{Warning{Message: "bare"}, "bare"},
	} {
		if got := c.w.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.w, got, c.want)
		}
	}
}
