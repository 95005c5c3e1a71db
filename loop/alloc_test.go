package loop

import (
	"io"
	"net"
	"testing"
)

func echoRoundTrip(tb testing.TB, nc net.Conn, msg, got []byte) {
	if _, err := nc.Write(msg); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.ReadFull(nc, got); err != nil {
		tb.Fatal(err)
	}
}

// TestEchoRoundTripAllocatesNothing: in steady state an echoed message
// costs no allocation anywhere in the process (server loop and the test's
// client together).
func TestEchoRoundTripAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; BenchmarkEchoRoundTrip shows the figure")
	}
	_, addr := startEcho(t, Options{Loops: 1})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, size := range []int{64, 4096} {
		msg, got := make([]byte, size), make([]byte, size)
		for i := 0; i < 100; i++ {
			echoRoundTrip(t, nc, msg, got)
		}
		allocs := testing.AllocsPerRun(1000, func() { echoRoundTrip(t, nc, msg, got) })
		if allocs != 0 {
			t.Fatalf("a %d-byte echo round trip allocated %v times, want 0", size, allocs)
		}
	}
}

func BenchmarkEchoRoundTrip(b *testing.B) {
	for _, size := range []int{64, 4096} {
		b.Run(sizeName(size), func(b *testing.B) {
			_, addr := startEcho(b, Options{Loops: 1})
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			msg, got := make([]byte, size), make([]byte, size)
			for i := 0; i < 100; i++ {
				echoRoundTrip(b, nc, msg, got)
			}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				echoRoundTrip(b, nc, msg, got)
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1024 {
		return itoa(n/1024) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// udpPlainEcho echoes without recording anything.
type udpPlainEcho struct{ BaseUDPHandler }

func (udpPlainEcho) OnDatagram(s *UDPSocket, d *Datagram) { _ = s.WriteTo(d.Data, d.Remote, d.ECN) }

// TestUDPEchoAllocatesNothing: a datagram received, handed to the handler
// and sent back costs no allocation in steady state.
func TestUDPEchoAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	e, err := NewEngine(Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	ul, err := e.ListenUDP("127.0.0.1:0", udpPlainEcho{}, UDPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer stopEngine(t, e)
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	to := ul.Addr()
	msg, buf := make([]byte, 1200), make([]byte, 2048)
	rt := func() {
		if _, err := c.WriteToUDPAddrPort(msg, to); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100; i++ {
		rt()
	}
	if allocs := testing.AllocsPerRun(1000, rt); allocs != 0 {
		t.Fatalf("a UDP echo round trip allocated %v times, want 0", allocs)
	}
}
