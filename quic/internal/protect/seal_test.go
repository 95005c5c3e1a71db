package protect

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

var allSuites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}

func suiteKeys(t testing.TB, v wire.Version, suite uint16) Keys {
	t.Helper()
	secret := make([]byte, 32)
	if suite == tls.TLS_AES_256_GCM_SHA384 {
		secret = make([]byte, 48)
	}
	for i := range secret {
		secret[i] = byte(i * 7)
	}
	k, err := NewKeys(v, suite, secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// oneRTTPacket builds a short-header packet of total size 1200 with a
// 2-byte packet number; it returns the buffer and the payload length.
func oneRTTPacket(pn uint64) (pkt []byte, pnOff, payloadLen int) {
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	pkt = make([]byte, 0, 1200)
	pkt = wire.AppendShortHeader(pkt, dcid, 2, false)
	pnOff = len(pkt)
	pkt = wire.AppendPacketNumber(pkt, pn, 2)
	payloadLen = 1200 - len(pkt) - TagLen
	for i := range payloadLen {
		pkt = append(pkt, byte(i))
	}
	return pkt, pnOff, payloadLen
}

func TestSealOpenRoundTripAllSuites(t *testing.T) {
	for _, v := range []wire.Version{wire.Version1, wire.Version2} {
		for _, suite := range allSuites {
			name := fmt.Sprintf("%#x/%s", v, tls.CipherSuiteName(suite))
			w := suiteKeys(t, v, suite)
			r := suiteKeys(t, v, suite)
			pkt, pnOff, n := oneRTTPacket(0x1234)
			plain := append([]byte(nil), pkt...)
			sealed := w.Seal(pkt, pnOff, 2, 0x1234, n)
			if len(sealed) != 1200 {
				t.Fatalf("%s: sealed %d bytes, want 1200", name, len(sealed))
			}
			if bytes.Equal(sealed[pnOff+2:pnOff+2+n], plain[pnOff+2:]) {
				t.Fatalf("%s: payload left in clear", name)
			}
			pn, pnLen, payload, err := r.Open(sealed, pnOff, 0x1200)
			if err != nil || pn != 0x1234 || pnLen != 2 {
				t.Fatalf("%s: Open = %d, %d, %v", name, pn, pnLen, err)
			}
			if !bytes.Equal(payload, plain[pnOff+2:]) || !bytes.Equal(sealed[:pnOff+2], plain[:pnOff+2]) {
				t.Errorf("%s: round trip changed the packet", name)
			}
		}
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	for _, suite := range allSuites {
		k := suiteKeys(t, wire.Version1, suite)
		pkt, pnOff, n := oneRTTPacket(7)
		sealed := k.Seal(pkt, pnOff, 2, 7, n)
		for _, pos := range []int{0, 3, pnOff, pnOff + 5, len(sealed) - 1} {
			c := append([]byte(nil), sealed...)
			c[pos] ^= 0x01
			if _, _, _, err := k.Open(c, pnOff, 6); !errors.Is(err, ErrDecrypt) {
				t.Errorf("%s: flipping byte %d: Open err = %v, want ErrDecrypt", tls.CipherSuiteName(suite), pos, err)
			}
		}
		other := suiteKeys(t, wire.Version2, suite)
		c := append([]byte(nil), sealed...)
		if _, _, _, err := other.Open(c, pnOff, 6); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: Open with other keys err = %v, want ErrDecrypt", tls.CipherSuiteName(suite), err)
		}
	}
}

func TestOpenTooShort(t *testing.T) {
	k := suiteKeys(t, wire.Version1, tls.TLS_AES_128_GCM_SHA256)
	for _, n := range []int{0, 1, 9, 9 + 4 + 15} {
		pkt := make([]byte, n)
		if n > 0 {
			pkt[0] = 0x40
		}
		if _, _, _, err := k.Open(pkt, 9, 0); !errors.Is(err, ErrTooShort) {
			t.Errorf("len %d: err = %v, want ErrTooShort", n, err)
		}
	}
}

func TestNewKeysErrors(t *testing.T) {
	if _, err := NewKeys(wire.Version1, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, make([]byte, 32)); !errors.Is(err, ErrUnsupportedSuite) {
		t.Errorf("non-TLS 1.3 suite: err = %v, want ErrUnsupportedSuite", err)
	}
	if _, err := NewKeys(wire.Version1, 0x1305, make([]byte, 32)); !errors.Is(err, ErrUnsupportedSuite) {
		t.Errorf("TLS_AES_128_CCM_8_SHA256: err = %v, want ErrUnsupportedSuite", err)
	}
	if _, err := NewKeys(wire.Version1, tls.TLS_AES_128_GCM_SHA256, make([]byte, 48)); !errors.Is(err, ErrSecretLen) {
		t.Errorf("48-byte secret for SHA-256: err = %v, want ErrSecretLen", err)
	}
	if _, err := NewKeys(wire.Version1, tls.TLS_AES_256_GCM_SHA384, make([]byte, 32)); !errors.Is(err, ErrSecretLen) {
		t.Errorf("32-byte secret for SHA-384: err = %v, want ErrSecretLen", err)
	}
}

// TestKeyUpdate: both sides step to the next phase; the AEAD changes, the
// header protection key does not (RFC 9001, Section 6).
func TestKeyUpdate(t *testing.T) {
	for _, suite := range allSuites {
		name := tls.CipherSuiteName(suite)
		w := suiteKeys(t, wire.Version1, suite)
		r := suiteKeys(t, wire.Version1, suite)
		w1, err := w.Next()
		if err != nil {
			t.Fatal(err)
		}
		r1, _ := r.Next()
		if bytes.Equal(w1.Secret(), w.Secret()) || len(w1.Secret()) != len(w.Secret()) {
			t.Fatalf("%s: next secret not derived", name)
		}
		if want := NextSecret(wire.Version1, suite, w.Secret()); !bytes.Equal(w1.Secret(), want) {
			t.Errorf("%s: Next secret differs from NextSecret", name)
		}
		pkt, pnOff, n := oneRTTPacket(100)
		pkt[0] |= 0x04 // key phase 1
		sealed := w1.Seal(pkt, pnOff, 2, 100, n)
		// The receiver removes header protection with its current keys,
		// reads the Key Phase bit, then decrypts with the next keys.
		c := append([]byte(nil), sealed...)
		pn, pnLen, err := r.RemoveHeaderProtection(c, pnOff, 99)
		if err != nil || pn != 100 || !wire.ShortHeaderKeyPhase(c[0]) {
			t.Fatalf("%s: RemoveHeaderProtection = %d, %v, key phase %v", name, pn, err, wire.ShortHeaderKeyPhase(c[0]))
		}
		if _, err := r1.Decrypt(c, pnOff+pnLen, pn); err != nil {
			t.Errorf("%s: Decrypt with next keys: %v", name, err)
		}
		c = append(c[:0], sealed...)
		if _, _, _, err := r.Open(c, pnOff, 99); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: old keys opened a next-phase packet: %v", name, err)
		}
	}
	// v2 uses its own label.
	s := make([]byte, 32)
	if bytes.Equal(NextSecret(wire.Version1, tls.TLS_AES_128_GCM_SHA256, s), NextSecret(wire.Version2, tls.TLS_AES_128_GCM_SHA256, s)) {
		t.Error("v1 and v2 key update secrets are equal; v2 must use \"quicv2 ku\"")
	}
}

func TestSealOpenAllocs(t *testing.T) {
	for _, suite := range allSuites {
		w := suiteKeys(t, wire.Version1, suite)
		r := suiteKeys(t, wire.Version1, suite)
		pkt, pnOff, n := oneRTTPacket(1)
		buf := make([]byte, 1200)
		var pn uint64
		allocs := testing.AllocsPerRun(200, func() {
			pn++
			p := append(buf[:0], pkt...)
			wire.AppendPacketNumber(p[:pnOff], pn, 2)
			sealed := w.Seal(p, pnOff, 2, pn, n)
			if _, _, _, err := r.Open(sealed, pnOff, int64(pn)-1); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: Seal+Open of a 1200-byte packet allocates %.1f times, want 0", tls.CipherSuiteName(suite), allocs)
		}
	}
}

func TestRetryTagRandomODCID(t *testing.T) {
	odcid := make([]byte, 20)
	rand.Read(odcid)
	pkt := append([]byte{0xf0, 0, 0, 0, 1, 0, 0}, "tok"...)
	tag := RetryIntegrityTag(wire.Version1, odcid, pkt)
	full := append(pkt, tag[:]...)
	if !VerifyRetry(wire.Version1, odcid, full) || VerifyRetry(wire.Version1, odcid[:19], full) || VerifyRetry(wire.Version2, odcid, full) {
		t.Error("VerifyRetry does not bind the tag to the ODCID and version")
	}
	if VerifyRetry(wire.Version1, odcid, full[:10]) {
		t.Error("VerifyRetry accepts a packet shorter than a tag")
	}
}

func benchSealOpen(b *testing.B, suite uint16, open bool) {
	w := suiteKeys(b, wire.Version1, suite)
	r := suiteKeys(b, wire.Version1, suite)
	pkt, pnOff, n := oneRTTPacket(1)
	sealedCopy := w.Seal(append([]byte(nil), pkt...), pnOff, 2, 1, n)
	buf := make([]byte, 1200)
	b.SetBytes(1200)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if open {
			p := append(buf[:0], sealedCopy...)
			if _, _, _, err := r.Open(p, pnOff, 0); err != nil {
				b.Fatal(err)
			}
		} else {
			p := append(buf[:0], pkt...)
			wire.AppendPacketNumber(p[:pnOff], uint64(i), 2)
			w.Seal(p, pnOff, 2, uint64(i), n)
		}
	}
}

func BenchmarkSeal1200(b *testing.B) {
	for _, s := range allSuites {
		b.Run(tls.CipherSuiteName(s), func(b *testing.B) { benchSealOpen(b, s, false) })
	}
}

func BenchmarkOpen1200(b *testing.B) {
	for _, s := range allSuites {
		b.Run(tls.CipherSuiteName(s), func(b *testing.B) { benchSealOpen(b, s, true) })
	}
}
