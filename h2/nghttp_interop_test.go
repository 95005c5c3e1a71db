package h2

// Interop with nghttp2's own tools (Debian's nghttp2-client and
// nghttp2-server): nghttp and h2load against our server session, our
// client session against nghttpd. Each skips when its binary is absent.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func needBinary(t *testing.T, name, pkg string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (Debian package %s); skipping interop with it", name, pkg)
	}
	return p
}

func runPeer(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestInteropNghttpClient: nghttp fetches a 1 MiB body, a POST echo of a
// file and a body read through a 16 KiB window (-w 14) from our server.
func TestInteropNghttpClient(t *testing.T) {
	bin := needBinary(t, "nghttp", "nghttp2-client")
	srv := newIxOurServer(t, nil)
	base := "http://" + srv.ln.Addr().String()
	dir := t.TempDir()

	out := runPeer(t, bin, "-n", "-s", "-w", "14", base+"/big?n=1048576")
	if !regexp.MustCompile(`\s200\s+1M\s+/big\?n=1048576`).MatchString(out) {
		t.Fatalf("nghttp did not report the 1 MiB response:\n%s", out)
	}

	body := ixPattern(300 << 10)
	in := filepath.Join(dir, "body")
	if err := os.WriteFile(in, body, 0o600); err != nil {
		t.Fatal(err)
	}
	got := runPeer(t, bin, "-d", in, base+"/echo")
	if !bytes.Equal([]byte(got), body) {
		t.Fatalf("nghttp POST echo: got %d octets back, want %d intact", len(got), len(body))
	}
}

// TestInteropH2loadAgainstOurServer: h2load's 2000 requests over 4
// connections with 50 streams each all succeed.
func TestInteropH2loadAgainstOurServer(t *testing.T) {
	bin := needBinary(t, "h2load", "nghttp2-client")
	srv := newIxOurServer(t, nil)
	out := runPeer(t, bin, "-n", "2000", "-c", "4", "-m", "50", "http://"+srv.ln.Addr().String()+"/big?n=4096")
	m := regexp.MustCompile(`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no h2load summary:\n%s", out)
	}
	if m[4] != "2000" {
		t.Fatalf("h2load: %s\n%s", m[0], out)
	}

	// HPACK table sizes both ways: h2load's decoder takes no dynamic
	// table (our encoder must announce size 0 and never index), its
	// encoder uses 256 octets; varied header values keep it evicting.
	out = runPeer(t, bin, "-n", "500", "-c", "2", "-m", "20", "--header-table-size=0", "--encoder-header-table-size=256",
		"-H", "x-a: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "-H", "x-b: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		"-H", "x-c: cccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "-H", "x-d: dddddddddddddddddddddddddddddddddddddddddddddddddd",
		"http://"+srv.ln.Addr().String()+"/get")
	m = regexp.MustCompile(`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded`).FindStringSubmatch(out)
	if m == nil || m[4] != "500" {
		t.Fatalf("h2load with small HPACK tables:\n%s", out)
	}

	// Uploads: 100 POSTs of 256 KiB, echoed back with trailers, 20 at a
	// time per connection: flow control in both directions at once.
	body := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(body, ixPattern(256<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	out = runPeer(t, bin, "-n", "100", "-c", "2", "-m", "20", "-d", body, "http://"+srv.ln.Addr().String()+"/echo")
	m = regexp.MustCompile(`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded`).FindStringSubmatch(out)
	if m == nil || m[4] != "100" || !strings.Contains(out, "26214400 data") && !strings.Contains(out, "(26214400) data") {
		t.Fatalf("h2load uploads:\n%s", out)
	}
}

// TestInteropNghttpdServer: our client session fetches a file from nghttpd
// (h2c, prior knowledge) and gets it intact, then a missing one (404).
func TestInteropNghttpdServer(t *testing.T) {
	bin := needBinary(t, "nghttpd", "nghttp2-server")
	dir := t.TempDir()
	content := ixPattern(500 << 10)
	if err := os.WriteFile(filepath.Join(dir, "file"), content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index"), []byte("index"), 0o600); err != nil {
		t.Fatal(err)
	}
	// nghttpd cannot take port 0 and report it: pick a free port, then
	// retry if another process took it meanwhile.
	var cmd *exec.Cmd
	var addr string
	for attempt := 0; attempt < 5 && addr == ""; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		cmd = exec.Command(bin, "--no-tls", "-d", dir, "-a", "127.0.0.1", "-p", "/index=/file", strconv.Itoa(port))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		a := fmt.Sprintf("127.0.0.1:%d", port)
		for i := 0; i < 100; i++ {
			if c, err := net.Dial("tcp", a); err == nil {
				c.Close()
				addr = a
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if addr == "" {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	if addr == "" {
		t.Fatal("nghttpd did not start listening")
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	rec := newIxRecorder()
	c := dialOurClient(t, addr, nil, rec)
	_, m := c.submit(rec, ixReq("GET", "/file"), nil)
	m.wait(t, "GET /file from nghttpd")
	if m.header[":status"] != "200" || !bytes.Equal(m.body.Bytes(), content) {
		t.Fatalf("from nghttpd: status %q, %d octets (want %d intact)", m.header[":status"], m.body.Len(), len(content))
	}
	_, m = c.submit(rec, ixReq("GET", "/missing"), nil)
	m.wait(t, "GET /missing from nghttpd")
	if m.header[":status"] != "404" {
		t.Fatalf("from nghttpd: status %q for a missing file", m.header[":status"])
	}

	// Server push: with SETTINGS_ENABLE_PUSH=1, GET /index brings /file
	// on a promised stream.
	prec := newIxRecorder()
	pc := dialOurClient(t, addr, &Options{EnablePush: true}, prec)
	_, m = pc.submit(prec, ixReq("GET", "/index"), nil)
	m.wait(t, "GET /index from nghttpd")
	var pushed *ixMessage
	pc.do(func(s *Session) {
		for id, pm := range prec.streams {
			if id%2 == 0 {
				pushed = pm
			}
		}
	})
	if pushed == nil {
		t.Fatal("nghttpd pushed nothing to a client that enabled push")
	}
	pushed.wait(t, "pushed /file")
	if pushed.promise[":path"] != "/file" || pushed.header[":status"] != "200" || !bytes.Equal(pushed.body.Bytes(), content) {
		t.Fatalf("pushed stream: promise %v, status %q, %d octets (want %d intact)", pushed.promise, pushed.header[":status"], pushed.body.Len(), len(content))
	}
}
