// Package pdftext extracts the text an uncompressed PDF of the report shows,
// for tests: the report embeds Unicode TrueType fonts, and fpdf writes each
// string a Tj operator shows as UTF-16BE.
package pdftext

import (
	"regexp"
	"strings"
	"unicode/utf16"
)

// tjString matches a string shown by a Tj operator.
var tjString = regexp.MustCompile(`\(((?:[^()\\]|\\.)*)\) ?Tj`)

// Text returns the strings pdf shows, one a line, in file order.
func Text(pdf []byte) string {
	var b strings.Builder
	for _, m := range tjString.FindAllSubmatch(pdf, -1) {
		var raw []byte
		for i := 0; i < len(m[1]); i++ {
			c := m[1][i]
			if c == '\\' && i+1 < len(m[1]) {
				i++
				switch c = m[1][i]; c {
				case 'r':
					c = '\r'
				case 'n':
					c = '\n'
				}
			}
			raw = append(raw, c)
		}
		u16 := make([]uint16, len(raw)/2)
		for i := range u16 {
			u16[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
		}
		b.WriteString(string(utf16.Decode(u16)))
		b.WriteByte('\n')
	}
	return b.String()
}
