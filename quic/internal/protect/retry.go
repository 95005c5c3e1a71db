package protect

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"sync"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// Retry integrity keys: RFC 9001, Section 5.8 (v1) and RFC 9369,
// Section 3.3.3 (v2). They are fixed, public values.
var (
	retryKeyV1   = [16]byte{0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e}
	retryNonceV1 = [12]byte{0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb}
	retryKeyV2   = [16]byte{0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92}
	retryNonceV2 = [12]byte{0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a}

	retryAEADOnce            sync.Once
	retryAEADV1, retryAEADV2 cipher.AEAD
)

func retryAEAD(v wire.Version) (cipher.AEAD, []byte) {
	retryAEADOnce.Do(func() {
		retryAEADV1 = mustGCM(retryKeyV1[:])
		retryAEADV2 = mustGCM(retryKeyV2[:])
	})
	if v == wire.Version2 {
		return retryAEADV2, retryNonceV2[:]
	}
	return retryAEADV1, retryNonceV1[:]
}

func mustGCM(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

// RetryIntegrityTag computes the Retry Integrity Tag (RFC 9001,
// Section 5.8): AES-128-GCM over an empty plaintext with the Retry
// Pseudo-Packet as associated data, which is the Original Destination
// Connection ID (with a one-byte length) followed by the Retry packet
// without its tag (retryPkt).
func RetryIntegrityTag(v wire.Version, odcid, retryPkt []byte) [16]byte {
	aead, nonce := retryAEAD(v)
	pseudo := make([]byte, 0, 1+len(odcid)+len(retryPkt))
	pseudo = append(pseudo, byte(len(odcid)))
	pseudo = append(pseudo, odcid...)
	pseudo = append(pseudo, retryPkt...)
	var tag [16]byte
	aead.Seal(tag[:0], nonce, nil, pseudo)
	return tag
}

// VerifyRetry reports whether the Retry packet pkt (including its tag)
// carries a valid integrity tag for odcid, the Destination Connection ID
// of the client's first Initial packet. RFC 9001, Section 5.8: a client
// "MUST discard a Retry packet ... that fails validation".
func VerifyRetry(v wire.Version, odcid, pkt []byte) bool {
	if len(pkt) < wire.RetryIntegrityTagLen {
		return false
	}
	n := len(pkt) - wire.RetryIntegrityTagLen
	tag := RetryIntegrityTag(v, odcid, pkt[:n])
	return subtle.ConstantTimeCompare(tag[:], pkt[n:]) == 1
}
