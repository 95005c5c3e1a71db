package protect

import "github.com/ngloop/ngloop/quic/internal/wire"

// NextSecret derives the next generation traffic secret for a key update
// (RFC 9001, Section 6.1):
//
//	secret_<n+1> = HKDF-Expand-Label(secret_<n>, "quic ku", "", Hash.length)
//
// with the label "quicv2 ku" for QUIC v2 (RFC 9369, Section 3.3.2).
// It returns nil for an unknown suite.
func NextSecret(v wire.Version, suite uint16, secret []byte) []byte {
	p, ok := paramsFor(Suite(suite))
	if !ok {
		return nil
	}
	return hkdfExpandLabel(p.hash, secret, labelsFor(v).ku, p.hash().Size())
}

// Next returns the keys of the next key phase: a new AEAD key and IV from
// the next secret, and the same header protection key (RFC 9001,
// Section 6: "The header protection key is not updated").
//
// Returns nil on success; an error only if the AEAD cannot be built,
// which the suites here never cause.
func (k *Keys) Next() (Keys, error) {
	n := *k
	next := NextSecret(k.ver, uint16(k.suite), k.secret[:k.secLen])
	n.secLen = copy(n.secret[:], next)
	if err := n.setAEAD(); err != nil {
		return Keys{}, err
	}
	return n, nil
}
