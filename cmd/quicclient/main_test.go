package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// A quic-go server plays "echo" and "hq-interop" for the client command.

func quicGoServer(t *testing.T) string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		NextProtos: []string{"echo", "hq-interop"}}
	ln, err := quicgo.ListenAddr("127.0.0.1:0", conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept(context.Background())
			if err != nil {
				return
			}
			hq := conn.ConnectionState().TLS.NegotiatedProtocol == "hq-interop"
			go func() {
				for {
					s, err := conn.AcceptStream(context.Background())
					if err != nil {
						return
					}
					go func() {
						defer s.Close()
						if !hq {
							io.Copy(s, s)
							return
						}
						line, _ := bufio.NewReader(s).ReadString('\n')
						path := strings.TrimSpace(strings.TrimPrefix(line, "GET "))
						s.Write([]byte("content of " + path))
					}()
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestInteropClientCommandEcho(t *testing.T) {
	addr := quicGoServer(t)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := run(ctx, addr, "echo", true, []request{{send: []byte("hello quic-go")}}, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "hello quic-go" {
		t.Fatalf("echo %q", out.String())
	}
}

func TestInteropClientCommandHQ(t *testing.T) {
	addr := quicGoServer(t)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reqs := []request{{send: []byte("GET /a\r\n")}, {send: []byte("GET /b/c\r\n")}}
	if err := run(ctx, addr, "hq-interop", true, reqs, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "content of /acontent of /b/c" {
		t.Fatalf("responses %q", out.String())
	}
}

func TestInteropClientCommandVerifiesCertificates(t *testing.T) {
	addr := quicGoServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := run(ctx, addr, "echo", false, []request{{send: []byte("x")}}, io.Discard)
	if err == nil {
		t.Fatal("a self-signed certificate was accepted without -verify=false")
	}
}
