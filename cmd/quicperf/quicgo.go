package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// payload is what servers send, 64 KiB repeated.
var payload = make([]byte, 64<<10)

// runQuicGo: a quic-go server sends n bytes on the stream the quic-go
// client opened with "n\n".
func runQuicGo(n int64) (result, error) {
	conf := &quicgo.Config{MaxIdleTimeout: 30 * time.Second,
		MaxStreamReceiveWindow: 16 << 20, MaxConnectionReceiveWindow: 32 << 20}
	ln, err := quicgo.ListenAddr("127.0.0.1:0", serverTLS(), conf)
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept(context.Background())
		if err != nil {
			return
		}
		st, err := c.AcceptStream(context.Background())
		if err != nil {
			return
		}
		var line [32]byte
		k, _ := st.Read(line[:])
		want, _ := strconv.ParseInt(strings.TrimSpace(string(line[:k])), 10, 64)
		for sent := int64(0); sent < want; {
			m := min(int64(len(payload)), want-sent)
			if _, err := st.Write(payload[:m]); err != nil {
				return
			}
			sent += m
		}
		st.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cpu0, t0 := selfCPU(), time.Now()
	c, err := quicgo.DialAddr(ctx, ln.Addr().(*net.UDPAddr).String(), clientTLS(), conf)
	if err != nil {
		return result{}, err
	}
	defer c.CloseWithError(0, "")
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		return result{}, err
	}
	fmt.Fprintf(st, "%d\n", n)
	got, err := io.Copy(io.Discard, st)
	if err != nil || got != n {
		return result{}, fmt.Errorf("got %d of %d bytes: %v", got, n, err)
	}
	return result{impl: "quicgo", bytes: n, wall: time.Since(t0), cpu: selfCPU() - cpu0}, nil
}
