package h2conn

import (
	"testing"

	"golang.org/x/net/http2"
)

// TestMaxFrameSizeLargest: a client announcing the largest
// SETTINGS_MAX_FRAME_SIZE (2^24-1, RFC 9113, Section 6.5.2) gets its
// download intact in frames no larger, and the server does not grow a
// frame-sized buffer per connection for it.
func TestMaxFrameSizeLargest(t *testing.T) {
	attack(t, nil, func(t *testing.T, ts *testServer) {
		const conns = 4
		before := heapInUse()
		var rs []*rawConn
		for c := 0; c < conns; c++ {
			r := dialRaw(t, ts.addr)
			r.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1<<24 - 1},
				http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1<<31 - 1})
			r.fr.WriteWindowUpdate(0, 1<<31-1-65535)
			r.get(1, "/bytes/40000000", true)
			rs = append(rs, r)
		}
		// Read a little of each so every server is mid-transfer.
		for _, r := range rs {
			r.readPattern(t, 1, 0, 1<<20, false)
		}
		grown := int64(heapInUse()-before) / conns
		t.Logf("heap per connection mid-download with 16 MiB frames allowed: %d octets", grown)
		if grown > 4<<20 {
			t.Fatalf("a connection allowing 16 MiB frames holds %d octets of heap", grown)
		}
		for _, r := range rs {
			got := r.readPattern(t, 1, 1<<20, 40000000-(1<<20), false)
			if got != 40000000-(1<<20) {
				t.Fatalf("got %d octets", got+(1<<20))
			}
			r.nc.Close()
		}
	})
}
