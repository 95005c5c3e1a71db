package wire_test

import (
	"fmt"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// Frames are appended into one buffer and parsed back one by one; the
// Frame is reused and its ACK ranges land in the capacity given.
func ExampleParseFrame() {
	var b []byte
	b = wire.AppendAckFrame(b, []wire.AckRange{{Smallest: 8, Largest: 10}, {Smallest: 1, Largest: 5}}, 0, nil)
	b = wire.AppendStreamFrame(b, 4, 0, []byte("hello"), true, true)
	b = wire.AppendConnectionClose(b, true, 0x100, 0, []byte("bye"))

	f := wire.Frame{AckRanges: make([]wire.AckRange, 0, 8)}
	for len(b) > 0 {
		n, err := wire.ParseFrame(b, &f)
		if err != nil {
			fmt.Println(err)
			return
		}
		switch f.Type {
		case wire.FrameAck:
			fmt.Println("ACK", f.AckRanges)
		case wire.FrameStream:
			fmt.Printf("STREAM %d %q fin=%v\n", f.StreamID, f.Data, f.Fin)
		case wire.FrameConnectionCloseApp:
			fmt.Printf("CONNECTION_CLOSE app %#x %q\n", f.ErrorCode, f.Reason)
		}
		b = b[n:]
	}
	// Output:
	// ACK [{8 10} {1 5}]
	// STREAM 4 "hello" fin=true
	// CONNECTION_CLOSE app 0x100 "bye"
}
