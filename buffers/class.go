package buffers

import "math/bits"

// Size classes: powers of two from MinClassSize to MaxClassSize.
const (
	MinClassSize = 2 << 10 // 2 KiB
	MaxClassSize = 1 << 20 // 1 MiB
	NumClasses   = 10      // 2 KiB, 4 KiB, ... 1 MiB

	minClassShift = 11
)

// ClassOf returns the index of the smallest class holding size bytes, or -1
// when size is larger than MaxClassSize.
func ClassOf(size int) int {
	if size <= MinClassSize {
		return 0
	}
	if size > MaxClassSize {
		return -1
	}
	return bits.Len(uint(size-1)) - minClassShift
}

// ClassSize returns the size of class c.
func ClassSize(c int) int { return MinClassSize << c }

// exactClass returns the class whose size is exactly n, or -1.
func exactClass(n int) int {
	if n < MinClassSize || n > MaxClassSize || n&(n-1) != 0 {
		return -1
	}
	return bits.Len(uint(n)) - 1 - minClassShift
}
