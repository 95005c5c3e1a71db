package protect

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
)

// hkdfExpandLabel is HKDF-Expand-Label from RFC 8446, Section 7.1, which
// QUIC uses with an empty context (RFC 9001, Section 5.1):
//
//	struct {
//	    uint16 length = Length;
//	    opaque label<7..255> = "tls13 " + Label;
//	    opaque context<0..255> = Context;
//	} HkdfLabel;
func hkdfExpandLabel(h func() hash.Hash, secret []byte, label string, length int) []byte {
	info := make([]byte, 0, 2+1+6+len(label)+1)
	info = append(info, byte(length>>8), byte(length))
	info = append(info, byte(6+len(label)))
	info = append(info, "tls13 "...)
	info = append(info, label...)
	info = append(info, 0) // empty context
	out, err := hkdf.Expand(h, secret, string(info), length)
	if err != nil {
		// Only a length over 255 hash blocks fails; QUIC asks for at most
		// one hash length.
		panic("protect: HKDF-Expand-Label: " + err.Error())
	}
	return out
}

func newSHA256() hash.Hash { return sha256.New() }
func newSHA384() hash.Hash { return sha512.New384() }
