package buffers

import "errors"

// PoisonByte fills buffers handed back to a pool in ngloop_poison builds.
const PoisonByte = 0xDB

// ErrUseAfterPut is the panic value when a poisoned buffer was written to
// after it went back to its pool (ngloop_poison builds only).
var ErrUseAfterPut = errors.New("buffers: buffer was written after it was put back in its pool")
