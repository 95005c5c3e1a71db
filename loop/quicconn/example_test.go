package quicconn_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/quicconn"
)

// upper answers each stream with its bytes in upper case.
type upper struct{ quicconn.BaseHandler }

func (upper) OnStreamData(c *quicconn.Conn, id int64, data []byte, fin bool) {
	out := make([]byte, len(data))
	for i, b := range data {
		if 'a' <= b && b <= 'z' {
			b -= 'a' - 'A'
		}
		out[i] = b
	}
	c.Write(id, out, fin) // ErrWouldBlock past StreamHighWater; see OnStreamWritable
}

// printer prints what comes back on its streams.
type printer struct {
	quicconn.BaseHandler
	done chan struct{}
}

func (p printer) OnStreamData(c *quicconn.Conn, id int64, data []byte, fin bool) {
	fmt.Printf("%s", data)
	if fin {
		fmt.Println()
		close(p.done)
	}
}

// A QUIC server and client on one engine: the client opens a stream,
// sends "hello quic" with FIN, and the server answers in upper case.
func Example() {
	e, _ := loop.NewEngine(loop.Options{Loops: 2})
	ln, err := quicconn.Listen(e, "127.0.0.1:0", &quicconn.Config{
		TLS:     &tls.Config{Certificates: []tls.Certificate{exampleCert()}, NextProtos: []string{"upper"}},
		Handler: upper{},
	})
	if err != nil {
		panic(err)
	}
	cl, _ := quicconn.NewClient(e, "127.0.0.1:0", &quicconn.Config{
		TLS: &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"upper"}},
	})
	_ = e.Start()
	defer e.Stop(context.Background())

	p := printer{done: make(chan struct{})}
	c, err := cl.Dial(context.Background(), ln.Addr().String(), p, nil)
	if err != nil {
		panic(err)
	}
	c.Execute(func() { // Conn methods run on the connection's loop
		id, _ := c.OpenStream()
		c.Write(id, []byte("hello quic"), true)
	})
	<-p.done
	// Output: HELLO QUIC
}

func exampleCert() tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
