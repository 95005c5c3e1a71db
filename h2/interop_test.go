package h2

// Interop: golang.org/x/net/http2's client Transport (h2c, prior
// knowledge) against our server session over loopback TCP (driver in
// interop_driver_test.go).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestInteropXNetClientGET(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: ixTimeout}).Get(ixURL(srv, "/get"))
	if err != nil {
		t.Fatalf("x/net client GET against our server: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || string(body) != "hello from ngloop" || resp.ProtoMajor != 2 {
		t.Fatalf("status %d proto %d body %q err %v", resp.StatusCode, resp.ProtoMajor, body, err)
	}
}

func TestInteropXNetClientPOST1MiBWithTrailers(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	body := ixPattern(1 << 20)
	req, _ := http.NewRequest("POST", ixURL(srv, "/echo"), io.MultiReader(bytes.NewReader(body)))
	req.Trailer = http.Header{"X-Req-Trailer": nil}
	req.Body = &ixTrailerBody{r: bytes.NewReader(body), set: func() { req.Trailer.Set("X-Req-Trailer", "from-xnet") }}
	resp, err := (&http.Client{Transport: tr, Timeout: ixTimeout}).Do(req)
	if err != nil {
		t.Fatalf("x/net client POST against our server: %v", err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d err %v", resp.StatusCode, err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("the 1 MiB body did not come back intact: %d octets", len(got))
	}
	if v := resp.Header.Get("X-Req-Trailer-Seen"); v != "from-xnet" {
		t.Fatalf("our server did not see x/net's request trailer: %q", v)
	}
	if v := resp.Trailer.Get("X-Resp-Trailer"); v != "len=1048576" {
		t.Fatalf("x/net client did not get our response trailer: %v", resp.Trailer)
	}
}

func TestInteropXNetClient100ConcurrentStreams(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	client := ixClient(tr)
	for err := range ixGetConcurrently(client, srv, 100, ixBigPath(1000), ixBigBody(1000)) {
		if err != nil {
			t.Error(err)
		}
	}
	if n := srv.numConns(); n != 1 {
		t.Fatalf("x/net should multiplex the 100 requests on one connection, used %d", n)
	}
}

// TestInteropXNetClientGoawayInFlight: our server starts a graceful
// shutdown (notice, then GOAWAY with the last stream processed) while five
// requests wait for their responses; all five complete, and x/net's client
// opens a new connection for the next request.
func TestInteropXNetClientGoawayInFlight(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	client := ixClient(tr)
	results, c := ixSlowRequests(srv, client, 5)
	c.do(func(s *Session) {
		if err := s.SubmitShutdownNotice(); err != nil {
			t.Fatalf("SubmitShutdownNotice: %v", err)
		}
	})
	c.do(func(s *Session) {
		if err := s.SubmitGoaway(FlagNone, s.LastProcStreamID(), NoError, nil); err != nil {
			t.Fatalf("SubmitGoaway: %v", err)
		}
	})
	close(srv.release)
	for range 5 {
		if err := <-results; err != nil {
			t.Fatalf("an in-flight request failed after GOAWAY: %v", err)
		}
	}
	select {
	case <-c.done:
		if c.err != nil {
			t.Fatalf("the session ended with %v after a graceful GOAWAY", c.err)
		}
	case <-time.After(ixTimeout):
		t.Fatal("the session did not end after GOAWAY and the last response")
	}
	resp, err := client.Get(ixURL(srv, "/get"))
	if err != nil {
		t.Fatalf("a request after GOAWAY must go on a new connection: %v", err)
	}
	resp.Body.Close()
}

// TestInteropXNetClientSlowReader: x/net's client reads the body one
// octet at a time, so its WINDOW_UPDATEs trickle in and our server's data
// provider must stop at the window and resume.
func TestInteropXNetClientSlowReader(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixSmallWindowTransport(t)
	defer tr.CloseIdleConnections()
	const size = 256 << 10
	resp, err := (&http.Client{Transport: tr, Timeout: ixTimeout}).Get(ixURL(srv, "/big?n="+strconv.Itoa(size)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make([]byte, 0, size)
	var one [1]byte
	for {
		n, err := resp.Body.Read(one[:])
		got = append(got, one[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("after %d octets: %v", len(got), err)
		}
	}
	if !bytes.Equal(got, ixPattern(size)) {
		t.Fatalf("slow reader got %d octets, want %d intact", len(got), size)
	}
	srv.mu.Lock()
	rec := srv.recs[0]
	srv.mu.Unlock()
	if n := rec.windowUpdates.Load(); n < size/65535 {
		t.Fatalf("the body needs the client's WINDOW_UPDATEs to get through; our server saw %d", n)
	}
}

// TestInteropXNetClientSmallHeaderTables: both sides shrink the HPACK
// dynamic table (x/net's decoder to 256 octets, ours to 256): each encoder
// must follow the other's SETTINGS_HEADER_TABLE_SIZE, with the size update
// RFC 7541 Section 4.2 requires, over many requests that keep evicting.
func TestInteropXNetClientSmallHeaderTables(t *testing.T) {
	srv := newIxOurServer(t, &Options{HeaderTableSize: 256})
	tr := ixTransport()
	tr.MaxDecoderHeaderTableSize = 256
	defer tr.CloseIdleConnections()
	client := ixClient(tr)
	for i := range 50 {
		req, _ := http.NewRequest("GET", ixURL(srv, "/get"), nil)
		for j := range 5 {
			req.Header.Set(fmt.Sprintf("x-h%d", j), strings.Repeat(strconv.Itoa(i), 20+j))
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello from ngloop" {
			t.Fatalf("request %d: body %q", i, body)
		}
	}
	if n := srv.numConns(); n != 1 {
		t.Fatalf("an HPACK error would have cost the connection: %d connections used", n)
	}
}

// TestInteropXNetClientCancel: x/net's client gives up on responses in
// flight (RST_STREAM CANCEL); our server drops those streams and the
// connection keeps serving.
func TestInteropXNetClientCancel(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixSmallWindowTransport(t)
	defer tr.CloseIdleConnections()
	client := ixClient(tr)
	for i := range 10 {
		// The 1 MiB response stalls on the 64 KiB window; closing the
		// body early makes x/net reset the stream.
		resp, err := client.Get(ixURL(srv, "/big?n=1048576"))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		var b [1000]byte
		if _, err := io.ReadFull(resp.Body, b[:]); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		resp.Body.Close()
	}
	resp, err := client.Get(ixURL(srv, "/get"))
	if err != nil {
		t.Fatalf("after 10 cancelled streams: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello from ngloop" {
		t.Fatalf("body %q", body)
	}
	if n := srv.numConns(); n != 1 {
		t.Fatalf("cancelled streams must not cost the connection: %d connections used", n)
	}
}

// TestInteropXNetClientGoawayRetry: our server sends GOAWAY with a
// last_stream_id below some streams in flight. Those streams are closed
// unprocessed (RFC 9113, Section 6.8), and x/net's client retries them on a
// new connection; the others are answered on the old one. All five
// requests succeed.
func TestInteropXNetClientGoawayRetry(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	client := ixClient(tr)
	results, c := ixSlowRequests(srv, client, 5)
	c.do(func(s *Session) {
		if err := s.SubmitGoaway(FlagNone, 3, NoError, []byte("go elsewhere")); err != nil {
			t.Fatalf("SubmitGoaway: %v", err)
		}
	})
	// The retried requests arrive on a second connection.
	ixWaitFor(func() bool { return srv.slowIn.Load() >= 8 }, time.Now().Add(ixTimeout))
	close(srv.release)
	for range 5 {
		if err := <-results; err != nil {
			t.Fatalf("a request failed around GOAWAY: %v", err)
		}
	}
	if n := srv.numConns(); n != 2 {
		t.Fatalf("streams 5, 7 and 9 should be retried on one new connection; %d connections used", n)
	}
}

// TestInteropXNetClientMaxConcurrentStreams: our server allows 2
// concurrent streams. x/net's client opens more connections rather than
// exceed the limit, and retries any stream it opened before our SETTINGS
// arrived and we refused (REFUSED_STREAM). All 20 requests succeed and no
// connection ever carries more than 2 streams. (x/net's strict mode is
// not used: it stalls requests, golang/go#70809, even against x/net's own
// server.)
func TestInteropXNetClientMaxConcurrentStreams(t *testing.T) {
	srv := newIxOurServer(t, &Options{MaxConcurrentStreams: 2})
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	client := ixClient(tr)
	for err := range ixGetConcurrently(client, srv, 20, ixBigPath(100000), ixBigBody(100000)) {
		if err != nil {
			t.Error(err)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for i, c := range srv.conns {
		select {
		case <-c.done:
			if c.err != nil {
				t.Errorf("connection %d ended with %v", i, c.err)
			}
		default:
		}
	}
	for i, rec := range srv.recs {
		if n := rec.maxActive.Load(); n > 2 {
			t.Errorf("connection %d carried %d concurrent streams, limit 2", i, n)
		}
	}
}

// ixGetConcurrently issues n GETs at once, request i to path(i), and
// reports on the returned channel (closed after the last) an error for
// each failed request or body other than want(i).
func ixGetConcurrently(client *http.Client, srv *ixOurServer, n int, path func(int) string, want func(int) []byte) chan error {
	results := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := client.Get(ixURL(srv, path(i)))
			if err != nil {
				results <- fmt.Errorf("request %d: %w", i, err)
				return
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(got, want(i)) {
				results <- fmt.Errorf("request %d: %d octets, want %d intact (%v)", i, len(got), len(want(i)), err)
				return
			}
			results <- nil
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	return results
}

func ixBigPath(base int) func(int) string {
	return func(i int) string { return "/big?n=" + strconv.Itoa(base+i) }
}

func ixBigBody(base int) func(int) []byte {
	return func(i int) []byte { return ixPattern(base + i) }
}

// ixWaitFor polls cond until it holds or the deadline passes.
func ixWaitFor(cond func() bool, deadline time.Time) {
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// ixSlowRequests starts n GET /slow from client and waits until our
// server holds all of them; it returns their results and the server's
// first connection.
func ixSlowRequests(srv *ixOurServer, client *http.Client, n int) (chan error, *ixConn) {
	results := ixGetConcurrently(client, srv, n, func(int) string { return "/slow" }, func(int) []byte { return []byte("slow done") })
	ixWaitFor(func() bool { return srv.slowIn.Load() >= int32(n) }, time.Now().Add(ixTimeout))
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return results, srv.conns[0]
}
