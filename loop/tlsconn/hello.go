package tlsconn

// helloState says whether the bytes a client sent so far hold its whole
// ClientHello, so the connection goes to a handshake worker only when the
// worker can run the first flight without waiting (a client that trickles
// its ClientHello costs a worker nothing).
type helloState int

const (
	helloPartial  helloState = iota // need more bytes
	helloComplete                   // the ClientHello is all there
	helloNotTLS                     // not a TLS handshake record
	helloTooLarge                   // ClientHello longer than the limit
)

// TLS wire constants (RFC 8446, Section 5.1 and 4).
const (
	recordHeaderLen     = 5
	recordTypeHandshake = 22
	maxPlaintext        = 1 << 14 // RFC 8446, Section 5.1: "The length MUST NOT exceed 2^14 bytes."
	typeClientHello     = 1
)

// scanHello looks for a complete ClientHello at the start of in, which
// may span several handshake records (RFC 8446, Section 5.1: "Handshake
// messages MAY be coalesced into a single TLSPlaintext record or
// fragmented across several records").
func scanHello(in []byte, maxHello int) helloState {
	var hdr [4]byte // the handshake message header, possibly fragmented
	got := 0        // handshake bytes seen
	for {
		if len(in) < recordHeaderLen {
			if len(in) > 0 && in[0] != recordTypeHandshake {
				return helloNotTLS
			}
			return helloPartial
		}
		if in[0] != recordTypeHandshake || in[1] != 3 {
			return helloNotTLS
		}
		n := int(in[3])<<8 | int(in[4])
		if n == 0 || n > maxPlaintext {
			return helloNotTLS
		}
		body := in[recordHeaderLen:]
		if len(body) > n {
			body = body[:n]
		}
		for i := 0; i < len(body) && got+i < 4; i++ {
			hdr[got+i] = body[i]
		}
		got += len(body)
		if got >= 4 {
			if hdr[0] != typeClientHello {
				return helloNotTLS
			}
			msgLen := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
			if msgLen > maxHello {
				return helloTooLarge
			}
			if got >= 4+msgLen {
				return helloComplete
			}
		}
		if len(body) < n {
			return helloPartial
		}
		in = in[recordHeaderLen+n:]
	}
}
