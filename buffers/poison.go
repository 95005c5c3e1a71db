//go:build ngloop_poison

package buffers

// PoisonEnabled reports whether this build poisons returned buffers.
const PoisonEnabled = true

func poison(b []byte) {
	for i := range b {
		b[i] = PoisonByte
	}
}

// checkPoison panics if a pooled buffer lost its poison, which means
// somebody wrote to it after Put.
func checkPoison(b []byte) {
	for _, c := range b {
		if c != PoisonByte {
			panic(ErrUseAfterPut)
		}
	}
}
