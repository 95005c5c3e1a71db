// Package protect implements QUIC packet protection (RFC 9001, Section 5):
// Initial keys derived from the client's first Destination Connection ID,
// keys from the TLS traffic secrets that crypto/tls's QUICConn hands out,
// AEAD payload protection with AES-128-GCM, AES-256-GCM and
// ChaCha20-Poly1305, header protection, key update (Section 6) and the
// Retry integrity tag (Section 5.8). QUIC v1 (RFC 9000) and v2 (RFC 9369)
// are supported.
//
// A Keys value holds everything one direction of one encryption level
// needs: the AEAD, its IV, the header protection cipher and scratch space
// for the nonce and mask, so Seal and Open work in place in the caller's
// buffer without allocating:
//
//	client, server := protect.InitialKeys(wire.Version1, dcid)
//	// header || packet number || plaintext, with cap for the tag
//	pkt = client.Seal(pkt, pnOffset, pnLen, pn, payloadLen)
//	...
//	pn, pnLen, payload, err := server.Open(pkt, pnOffset, largestPN)
//
// Lifecycle: a connection derives Keys per encryption level when TLS
// hands it a secret, replaces 1-RTT Keys with Next on key update (the
// header protection key stays, RFC 9001 Section 6), and drops Keys when
// the level is discarded. A Keys value is not safe for concurrent use.
package protect
