package preprocess

import "testing"

func TestChannels(t *testing.T) {
	if got := (Spec{}).Channels(); got != "rgb" {
		t.Errorf("default channels %q, want rgb", got)
	}
	if got := (Spec{BGR: true}).Channels(); got != "bgr" {
		t.Errorf("BGR channels %q, want bgr", got)
	}
}
