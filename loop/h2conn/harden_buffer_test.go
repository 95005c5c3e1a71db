package h2conn

import (
	"fmt"
	"io"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// TestDoSManyStreamsUnread: a client that opens MaxConcurrentStreams
// requests for large bodies and reads nothing pins at most
// MaxConnBuffer of streamed-response buffers, not one full buffer per
// stream (it was 6.8 MB per connection for 100 HEADERS frames).
func TestDoSManyStreamsUnread(t *testing.T) {
	attack(t, nil, func(t *testing.T, ts *testServer) {
		const conns = 5
		before := heapInUse()
		var rs []*rawConn
		for c := 0; c < conns; c++ {
			r := dialRaw(t, ts.addr)
			for id := uint32(1); id < 200; id += 2 {
				r.get(id, "/bytes/10000000", true)
			}
			rs = append(rs, r)
		}
		deadline := time.Now().Add(5 * time.Second)
		for ts.srv.Stats().Requests.Load() < conns*100 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		per := int64(heapInUse()-before) / conns
		t.Logf("a connection with 100 unread large responses holds %d octets of heap", per)
		if limit := int64(DefaultMaxConnBuffer + 512<<10); per > limit {
			t.Fatalf("a connection with 100 unread large responses holds %d octets, want at most %d", per, limit)
		}
		checkServed(t, ts.addr)
		for _, r := range rs {
			r.nc.Close()
		}
	})
}

// TestConnBufferSharedFairly: with room for only two streamed buffers,
// ten concurrent large responses on one connection all complete intact:
// a stream refused a buffer gets OnWritable when another gives one back.
func TestConnBufferSharedFairly(t *testing.T) {
	ts := startServer(t, &Echo{MaxBytes: 1 << 30}, &ServerOptions{StreamBufferSize: 16 << 10, MaxConnBuffer: 32 << 10,
		Session: h2.Options{MaxConcurrentStreams: 100}}, loop.Options{})
	r := dialRaw(t, ts.addr)
	r.fr.WriteWindowUpdate(0, 1<<30)
	r.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
	const n, size = 10, 300000
	for i := uint32(0); i < n; i++ {
		r.get(1+2*i, "/bytes/300000", true)
	}
	got := map[uint32]int{}
	for done := 0; done < n; {
		f := r.next()
		if f == nil {
			t.Fatalf("connection closed with %d of %d responses done: %v", done, n, got)
		}
		switch f := f.(type) {
		case *http2.DataFrame:
			id, d := f.StreamID, f.Data()
			for i, b := range d {
				if b != pattern[(got[id]+i)%len(pattern)] {
					t.Fatalf("stream %d octet %d corrupt", id, got[id]+i)
				}
			}
			got[id] += len(d)
			if f.StreamEnded() {
				if got[id] != size {
					t.Fatalf("stream %d ended after %d of %d octets", id, got[id], size)
				}
				done++
			}
		case *http2.RSTStreamFrame:
			t.Fatalf("RST_STREAM %d %v", f.StreamID, f.ErrCode)
		}
	}
}

// TestNetHTTPConnBufferShared: NetHTTP workers streaming on one
// connection with room for a single buffer all finish: a chunk refused
// a buffer is delivered on OnWritable.
func TestNetHTTPConnBufferShared(t *testing.T) {
	a := NewNetHTTP(netHTTPMux(nil), &NetHTTPOptions{Workers: 4})
	t.Cleanup(a.Close)
	ts := startServer(t, a, &ServerOptions{StreamBufferSize: 16 << 10, MaxConnBuffer: 16 << 10}, loop.Options{})
	cl := h2cClient()
	defer cl.CloseIdleConnections()
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			resp, err := cl.Get("http://" + ts.addr + "/stream")
			if err != nil {
				errs <- err
				return
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && n != 50*100000 {
				err = fmt.Errorf("got %d of %d octets", n, 50*100000)
			}
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
