package pdftext

import "testing"

func TestText(t *testing.T) {
	// "ρ ≥" and "a(b)" as UTF-16BE, the second with escaped parentheses and a
	// byte that is a backslash-escaped \r.
	pdf := []byte("BT (\x03\xc1\x00 \x22\x65) Tj ET BT (\x00a\x00\\(\x00b\x00\\)) Tj ET BT (\\r\x00) Tj ET")
	if got, want := Text(pdf), "ρ ≥\na(b)\n\u0d00\n"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}
