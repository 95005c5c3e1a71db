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
