package protect

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/tls"
	"errors"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// Suite names a TLS 1.3 cipher suite by its crypto/tls ID.
type Suite uint16

// The TLS 1.3 cipher suites QUIC uses (RFC 9001, Section 5.3).
const (
	AES128GCMSHA256        Suite = Suite(tls.TLS_AES_128_GCM_SHA256)
	AES256GCMSHA384        Suite = Suite(tls.TLS_AES_256_GCM_SHA384)
	ChaCha20Poly1305SHA256 Suite = Suite(tls.TLS_CHACHA20_POLY1305_SHA256)
)

// TagLen is the AEAD tag size of every QUIC cipher suite.
const TagLen = 16

// Errors.
var (
	// ErrUnsupportedSuite: a cipher suite QUIC does not define. RFC 9001,
	// Section 5.3: "An endpoint MUST NOT ... negotiate TLS_AES_128_CCM_8_SHA256".
	ErrUnsupportedSuite = errors.New("protect: unsupported cipher suite")
	// ErrSecretLen: the secret's length is not the suite's hash length
	// (TLS 1.3 traffic secrets are exactly Hash.length bytes).
	ErrSecretLen = errors.New("protect: secret length differs from the hash length")
	// ErrTooShort: the packet is too short to hold the header protection
	// sample (RFC 9001, Section 5.4.2) and a tag; it is dropped.
	ErrTooShort = errors.New("protect: packet too short to sample")
	// ErrDecrypt: AEAD authentication failed, as ngtcp2's
	// NGTCP2_ERR_DECRYPT. The packet is dropped (RFC 9001, Section 5.5);
	// its buffer has been modified.
	ErrDecrypt = errors.New("protect: decryption failed")
)

// suiteParams describes one cipher suite.
type suiteParams struct {
	hash   func() hash.Hash
	keyLen int // AEAD key and header protection key length
	chacha bool
	// RFC 9001, Section 6.6: confidentiality and integrity limits, in
	// packets.
	confLimit, integLimit uint64
}

func paramsFor(suite Suite) (suiteParams, bool) {
	switch suite {
	case AES128GCMSHA256:
		return suiteParams{hash: newSHA256, keyLen: 16, confLimit: 1 << 23, integLimit: 1 << 52}, true
	case AES256GCMSHA384:
		return suiteParams{hash: newSHA384, keyLen: 32, confLimit: 1 << 23, integLimit: 1 << 52}, true
	case ChaCha20Poly1305SHA256:
		// RFC 9001, Section 6.6: "For AEAD_CHACHA20_POLY1305, the
		// confidentiality limit is greater than the number of possible
		// packets (2^62)"; integrity limit 2^36.
		return suiteParams{hash: newSHA256, keyLen: 32, chacha: true, confLimit: 1 << 62, integLimit: 1 << 36}, true
	}
	return suiteParams{}, false
}

// labels are the version-specific HKDF labels (RFC 9001, Section 5.1 and
// 6.1; RFC 9369, Section 3.3.2).
type labels struct{ key, iv, hp, ku string }

func labelsFor(v wire.Version) labels {
	if v == wire.Version2 {
		return labels{"quicv2 key", "quicv2 iv", "quicv2 hp", "quicv2 ku"}
	}
	return labels{"quic key", "quic iv", "quic hp", "quic ku"}
}

// Keys protects or unprotects packets in one direction at one encryption
// level. The zero value is not usable; build one with InitialKeys, NewKeys
// or Next. Copying a Keys value shares the underlying ciphers, which is
// safe since they keep no per-call state outside Keys.
type Keys struct {
	aead   cipher.AEAD
	iv     [12]byte
	nonce  [12]byte // scratch: iv XOR packet number
	hp     headerProtector
	mask   [16]byte // scratch for header protection
	suite  Suite
	ver    wire.Version
	secret [48]byte // traffic secret, for key update
	secLen int
	params suiteParams
}

// NewKeys derives packet protection keys from a TLS traffic secret, as
// crypto/tls reports it in a QUICSetReadSecret or QUICSetWriteSecret event
// (Suite and Data fields) (RFC 9001, Section 5.1).
//
// Returns nil on success, or one of: ErrUnsupportedSuite — suite is not
// one of the three QUIC suites; ErrSecretLen — secret is not exactly the
// suite's hash length.
func NewKeys(v wire.Version, suite uint16, secret []byte) (Keys, error) {
	p, ok := paramsFor(Suite(suite))
	if !ok {
		return Keys{}, ErrUnsupportedSuite
	}
	if len(secret) != p.hash().Size() {
		return Keys{}, ErrSecretLen
	}
	l := labelsFor(v)
	hpKey := hkdfExpandLabel(p.hash, secret, l.hp, p.keyLen)
	var k Keys
	k.suite, k.ver, k.params = Suite(suite), v, p
	k.secLen = copy(k.secret[:], secret)
	var err error
	if p.chacha {
		k.hp, err = newChaChaHP(hpKey)
	} else {
		k.hp, err = newAESHP(hpKey)
	}
	if err != nil {
		return Keys{}, err
	}
	if err := k.setAEAD(); err != nil {
		return Keys{}, err
	}
	return k, nil
}

// setAEAD derives the AEAD key and IV from k.secret.
func (k *Keys) setAEAD() error {
	l := labelsFor(k.ver)
	secret := k.secret[:k.secLen]
	key := hkdfExpandLabel(k.params.hash, secret, l.key, k.params.keyLen)
	copy(k.iv[:], hkdfExpandLabel(k.params.hash, secret, l.iv, 12))
	if k.params.chacha {
		a, err := chacha20poly1305.New(key)
		if err != nil {
			return err
		}
		k.aead = a
		return nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	k.aead = a
	return nil
}

// Suite returns the cipher suite of k.
func (k *Keys) Suite() Suite { return k.suite }

// Version returns the QUIC version k was derived for.
func (k *Keys) Version() wire.Version { return k.ver }

// IsSet reports whether k holds keys (it is not the zero value).
func (k *Keys) IsSet() bool { return k.aead != nil }

// ConfidentialityLimit is the number of packets that may be sealed with
// one key before a key update is due (RFC 9001, Section 6.6).
func (k *Keys) ConfidentialityLimit() uint64 { return k.params.confLimit }

// IntegrityLimit is the number of packets failing authentication after
// which the connection must close with AEAD_LIMIT_REACHED (RFC 9001,
// Section 6.6).
func (k *Keys) IntegrityLimit() uint64 { return k.params.integLimit }

// Secret returns a copy of the traffic secret k was derived from.
func (k *Keys) Secret() []byte { return append([]byte(nil), k.secret[:k.secLen]...) }
