package tlsconn

import (
	"crypto/tls"
	"io"
	"sort"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// TestHandshakeStormKeepsOpenConnectionsServed: on a one-loop engine,
// 300 clients handshaking at once do not stop requests on a connection
// that is already open: every request during the storm is answered (the
// latencies are logged; no timing is asserted), and every handshake
// completes.
func TestHandshakeStormKeepsOpenConnectionsServed(t *testing.T) {
	s := startServer(t, serverConfig{loops: 1, verify: true})
	cl := s.h2Client()
	defer cl.Transport.(*http2.Transport).CloseIdleConnections()
	get := func() time.Duration {
		start := time.Now()
		resp, err := cl.Get("https://" + s.addr + "/")
		if err != nil {
			t.Errorf("GET on the open connection during the storm: %v", err)
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start)
	}
	get() // opens the connection
	const storm = 300
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for i := 0; i < storm; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: s.roots(), NextProtos: []string{"h2"}})
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
				return
			}
			defer c.Close()
			// The server's SETTINGS shows it finished its side too.
			c.SetDeadline(time.Now().Add(20 * time.Second))
			c.Write([]byte(http2.ClientPreface))
			if _, err := http2.NewFramer(nil, c).ReadFrame(); err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var lat []time.Duration
loop:
	for {
		select {
		case <-done:
			break loop
		default:
			lat = append(lat, get())
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d storm handshakes failed", failed, storm)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		t.Logf("%d requests on the open connection during a %d-handshake storm: p50 %v, max %v",
			len(lat), storm, lat[len(lat)/2], lat[len(lat)-1])
	}
	waitStat(t, "Stats.Handshakes", &s.h.Stats().Handshakes, storm+1)
}
