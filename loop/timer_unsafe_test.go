package loop

import "unsafe"

// unsafePointerToTestTimer recovers the testTimer embedding t (Timer is
// its first field).
func unsafePointerToTestTimer(t *Timer) unsafe.Pointer { return unsafe.Pointer(t) }
