package report

import "testing"

func TestEncoder(t *testing.T) {
	enc, err := newEncoder()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"≥ ≤ ρ ± × † – •":        "≥ ≤ ρ ± × † – •",
		"R² ≥ 0.9, 10⁶ B":        "R² ≥ 0.9, 10⁶ B",
		"GB are 10⁹ bytes":       "GB are 10^9 bytes",
		"10⁶⁹":                   "10^69",
		"area ∝ params":          "area ~ params",
		"模Ωé":                    `\u6a21Ωé`,
		"\U0001d54f":             `\U0001d54f`,
		"plain ASCII (a|b) \\ x": "plain ASCII (a|b) \\ x",
	} {
		if got := enc(in); got != want {
			t.Errorf("enc(%q) = %q, want %q", in, got, want)
		}
	}
}
