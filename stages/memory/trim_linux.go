//go:build linux && cgo

package memory

// #include <malloc.h>
import "C"

// trimHeap returns freed C heap pages to the operating system (glibc's
// malloc_trim), so a resident-set reading counts live memory rather than
// what a parser freed moments ago.
func trimHeap() { C.malloc_trim(0) }
