package tlsconn

import (
	"crypto/tls"

	"github.com/ngloop/ngloop/loop"
)

// ALPNH2 is HTTP/2's ALPN protocol ID over TLS (RFC 9113, Section 3.2).
const ALPNH2 = "h2"

// H2CipherSuites are the TLS 1.2 cipher suites crypto/tls implements
// that are not on RFC 9113's blocklist (Appendix A): ephemeral key
// exchange with an AEAD. Every other TLS 1.2 suite crypto/tls knows (RSA
// key exchange, CBC, RC4, 3DES) is on the list. TLS 1.3 suites are all
// fine and not configurable in crypto/tls.
var H2CipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// ServerConfig returns a tls.Config for HTTP/2 servers: ALPN "h2" only,
// TLS 1.2 or later, TLS 1.2 suites limited to H2CipherSuites, and
// certificates from certs (reloadable).
//
// A client that offers ALPN but not "h2" (HTTP/1.1 only) is refused in
// the handshake with a no_application_protocol alert (RFC 7301, Section
// 3.2); this server speaks only HTTP/2. A client that sends no ALPN
// completes the handshake and is then closed by H2Verify.
//
// crypto/tls never negotiates TLS compression nor accepts a client's
// renegotiation, as RFC 9113, Section 9.2.1 requires ("A deployment of
// HTTP/2 over TLS 1.2 MUST disable compression", "MUST disable
// renegotiation").
func ServerConfig(certs *Certs) *tls.Config {
	return &tls.Config{
		GetCertificate: certs.GetCertificate,
		NextProtos:     []string{ALPNH2},
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   H2CipherSuites,
	}
}

// H2Allowed reports whether cs meets RFC 9113's TLS rules: ALPN "h2"
// (Section 3.2), TLS 1.2 or later (Section 9.2: "Implementations of
// HTTP/2 MUST use TLS version 1.2 [TLS12] or higher"), and under TLS
// 1.2 a suite off the blocklist (Section 9.2.2).
//
// Returns nil, or ErrInadequateSecurity.
func H2Allowed(cs *tls.ConnectionState) error {
	if cs.NegotiatedProtocol != ALPNH2 || cs.Version < tls.VersionTLS12 {
		return ErrInadequateSecurity
	}
	if cs.Version == tls.VersionTLS12 && !h2Suite(cs.CipherSuite) {
		return ErrInadequateSecurity
	}
	return nil
}

func h2Suite(id uint16) bool {
	for _, s := range H2CipherSuites {
		if s == id {
			return true
		}
	}
	return false
}

// H2Verify is an Options.Verify for HTTP/2 servers. A connection that
// negotiated something other than "h2" is closed; one whose TLS
// parameters break Section 9.2 (a config that allows a blocklisted
// suite, say) gets the server preface and GOAWAY INADEQUATE_SECURITY
// first. RFC 9113, Section 9.2: "An endpoint MAY immediately terminate an
// HTTP/2 connection that does not meet these TLS requirements with a
// connection error (Section 5.4.1) of type INADEQUATE_SECURITY", and
// Section 9.2.2: "An endpoint MAY choose to generate a connection error
// (Section 5.4.1) of type INADEQUATE_SECURITY if one of the prohibited
// cipher suites is negotiated."
func H2Verify(c *loop.Conn, cs *tls.ConnectionState) error {
	err := H2Allowed(cs)
	if err == nil || cs.NegotiatedProtocol != ALPNH2 {
		return err // not HTTP/2: an HTTP/2 frame would mean nothing to it
	}
	_, _ = c.Write(inadequateSecurity[:])
	return err
}

// inadequateSecurity is the server's preface (an empty SETTINGS frame,
// RFC 9113, Section 3.4) followed by GOAWAY with last stream 0 and
// INADEQUATE_SECURITY (0xc), Section 6.8.
var inadequateSecurity = [9 + 9 + 8]byte{
	0, 0, 0, 0x4, 0, 0, 0, 0, 0, // SETTINGS, length 0, stream 0
	0, 0, 8, 0x7, 0, 0, 0, 0, 0, // GOAWAY, length 8, stream 0
	0, 0, 0, 0, // last stream ID 0
	0, 0, 0, 0xc, // INADEQUATE_SECURITY
}
