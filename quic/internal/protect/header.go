package protect

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
)

// SampleLen is the size of the ciphertext sample header protection uses
// (RFC 9001, Section 5.4.2).
const SampleLen = 16

// headerProtector computes the 5-byte header protection mask from a
// 16-byte ciphertext sample into mask.
type headerProtector interface {
	mask(mask *[16]byte, sample []byte)
}

// aesHP is AES-based header protection (RFC 9001, Section 5.4.3):
// mask = AES-ECB(hp_key, sample).
type aesHP struct{ block cipher.Block }

func newAESHP(key []byte) (headerProtector, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return &aesHP{block: b}, nil
}

func (h *aesHP) mask(mask *[16]byte, sample []byte) { h.block.Encrypt(mask[:], sample) }

// chachaHP is ChaCha20-based header protection (RFC 9001, Section 5.4.4):
// counter = sample[0..3] (little-endian), nonce = sample[4..15],
// mask = ChaCha20(hp_key, counter, nonce, {0,0,0,0,0}).
type chachaHP struct{ key [32]byte }

func newChaChaHP(key []byte) (headerProtector, error) {
	h := &chachaHP{}
	copy(h.key[:], key)
	return h, nil
}

var zeros5 [5]byte

func (h *chachaHP) mask(mask *[16]byte, sample []byte) {
	// NewUnauthenticatedCipher is written so that its *Cipher does not
	// escape when the caller keeps it local: no allocation per packet.
	c, err := chacha20.NewUnauthenticatedCipher(h.key[:], sample[4:16])
	if err != nil {
		panic("protect: chacha20: " + err.Error()) // key and nonce sizes are fixed
	}
	c.SetCounter(binary.LittleEndian.Uint32(sample[:4]))
	c.XORKeyStream(mask[:5], zeros5[:])
}
