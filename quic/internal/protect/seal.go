package protect

import (
	"encoding/binary"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// setNonce forms the AEAD nonce: the IV XORed with the packet number,
// left-padded to the IV size (RFC 9001, Section 5.3).
func (k *Keys) setNonce(pn uint64) {
	k.nonce = k.iv
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], pn)
	for i := range 8 {
		k.nonce[4+i] ^= p[i]
	}
}

// Seal protects a packet in place. pkt holds the header, the pnLen-byte
// packet number at pnOffset and payloadLen bytes of plaintext, and must
// have capacity for the 16-byte tag after them. Seal encrypts the payload
// with the header as associated data, then applies header protection to
// the first byte and the packet number (RFC 9001, Section 5.3 and 5.4).
// It returns pkt[:pnOffset+pnLen+payloadLen+TagLen].
//
// The caller must make the packet number plus payload at least 4 bytes
// so that the header protection sample exists (RFC 9001, Section 5.4.2);
// violating that, or a pkt without room for the tag, is a programming
// error and panics.
func (k *Keys) Seal(pkt []byte, pnOffset, pnLen int, pn uint64, payloadLen int) []byte {
	hdrLen := pnOffset + pnLen
	end := hdrLen + payloadLen
	if cap(pkt) < end+TagLen || pnLen+payloadLen < 4 {
		panic("protect: Seal needs room for the tag and at least 4 bytes of packet number and payload")
	}
	k.setNonce(pn)
	k.aead.Seal(pkt[hdrLen:hdrLen], k.nonce[:], pkt[hdrLen:end], pkt[:hdrLen])
	pkt = pkt[:end+TagLen]
	k.applyHP(pkt, pnOffset, pnLen)
	return pkt
}

// applyHP masks the first byte's low bits and the packet number
// (RFC 9001, Section 5.4.1). It is its own inverse given the same pnLen.
func (k *Keys) applyHP(pkt []byte, pnOffset, pnLen int) {
	sample := pkt[pnOffset+4 : pnOffset+4+SampleLen]
	k.hp.mask(&k.mask, sample)
	if wire.IsLongHeader(pkt[0]) {
		pkt[0] ^= k.mask[0] & 0x0f
	} else {
		pkt[0] ^= k.mask[0] & 0x1f
	}
	for i := range pnLen {
		pkt[pnOffset+i] ^= k.mask[1+i]
	}
}

// Open unprotects a packet in place: it removes header protection,
// decodes the full packet number against largestPN (the largest packet
// number processed in this space, -1 if none; RFC 9000, Appendix A.3) and
// decrypts the payload. pkt is exactly one packet (for long headers,
// wire.Header.PacketLen bytes). payload is a view into pkt.
//
// Returns nil on success, or one of: ErrTooShort — the packet cannot
// hold a sample and a tag; ErrDecrypt — authentication failed.
// Either way the packet is to be dropped.
func (k *Keys) Open(pkt []byte, pnOffset int, largestPN int64) (pn int64, pnLen int, payload []byte, err error) {
	pn, pnLen, err = k.RemoveHeaderProtection(pkt, pnOffset, largestPN)
	if err != nil {
		return 0, 0, nil, err
	}
	payload, err = k.Decrypt(pkt, pnOffset+pnLen, pn)
	return pn, pnLen, payload, err
}

// RemoveHeaderProtection is the first half of Open: it unmasks the first
// byte and packet number in place and returns the decoded packet number
// and its length. After it, pkt[0] shows the real Key Phase bit, so a
// 1-RTT receiver can choose between current and next-generation keys
// before Decrypt; header protection keys do not change on key update
// (RFC 9001, Section 6).
//
// Returns nil on success, or ErrTooShort — the packet cannot hold a
// sample and a tag.
func (k *Keys) RemoveHeaderProtection(pkt []byte, pnOffset int, largestPN int64) (pn int64, pnLen int, err error) {
	// RFC 9001, Section 5.4.2: the sample starts 4 bytes after the start
	// of the packet number; the tag must fit too.
	if pnOffset < 1 || len(pkt) < pnOffset+4+SampleLen || len(pkt) < pnOffset+1+TagLen {
		return 0, 0, ErrTooShort
	}
	k.hp.mask(&k.mask, pkt[pnOffset+4:pnOffset+4+SampleLen])
	if wire.IsLongHeader(pkt[0]) {
		pkt[0] ^= k.mask[0] & 0x0f
	} else {
		pkt[0] ^= k.mask[0] & 0x1f
	}
	pnLen = wire.PacketNumberLenFromFirstByte(pkt[0])
	var truncated uint64
	for i := range pnLen {
		pkt[pnOffset+i] ^= k.mask[1+i]
		truncated = truncated<<8 | uint64(pkt[pnOffset+i])
	}
	pn = wire.DecodePacketNumber(largestPN, truncated, pnLen*8)
	return pn, pnLen, nil
}

// Decrypt is the second half of Open: it authenticates and decrypts
// pkt[hdrLen:] in place with pkt[:hdrLen] (the unprotected header and
// packet number) as associated data, and returns the plaintext, a view
// into pkt.
//
// Returns nil on success, or one of: ErrTooShort — no room for a tag;
// ErrDecrypt — authentication failed. After ErrDecrypt the ciphertext
// bytes before the tag may have been overwritten (crypto/cipher.AEAD.Open
// may clear its output), so the packet cannot be retried with other keys;
// the trailing 16 bytes, where a Stateless Reset token would be, are left
// alone.
func (k *Keys) Decrypt(pkt []byte, hdrLen int, pn int64) ([]byte, error) {
	if len(pkt) < hdrLen+TagLen {
		return nil, ErrTooShort
	}
	k.setNonce(uint64(pn))
	ct := pkt[hdrLen:]
	out, err := k.aead.Open(ct[:0], k.nonce[:], ct, pkt[:hdrLen])
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}
