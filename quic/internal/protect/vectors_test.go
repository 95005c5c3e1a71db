package protect

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readHex reads a testdata file of hex lines; lines starting with # are
// comments naming the RFC source.
func readHex(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); !strings.HasPrefix(line, "#") {
			sb.WriteString(line)
		}
	}
	return unhex(t, sb.String())
}

var rfcDCID = []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}

// rfcChaChaSecret is the 1-RTT secret of RFC 9001, Appendix A.5.
var rfcChaChaSecret, _ = hex.DecodeString("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b")

// TestInitialSecretsRFC9001A1 checks RFC 9001, Appendix A.1 (and RFC 9369,
// Appendix A.1 for v2): secrets, keys, IVs and header protection keys.
func TestInitialSecretsRFC9001A1(t *testing.T) {
	tests := []struct {
		name                string
		v                   wire.Version
		client              bool
		secret, key, iv, hp string
	}{
		{"v1 client", wire.Version1, true,
			"c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
			"1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2"},
		{"v1 server", wire.Version1, false,
			"3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
			"cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314"},
		{"v2 client", wire.Version2, true,
			"14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
			"8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9"},
		{"v2 server", wire.Version2, false,
			"0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
			"82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652", "edf6d05c83121201b436e16877593c3a"},
	}
	for _, tt := range tests {
		cs, ss := InitialSecrets(tt.v, rfcDCID)
		secret := ss
		if tt.client {
			secret = cs
		}
		if got := hex.EncodeToString(secret); got != tt.secret {
			t.Errorf("%s: secret %s, want %s", tt.name, got, tt.secret)
		}
		l := labelsFor(tt.v)
		if got := hex.EncodeToString(hkdfExpandLabel(newSHA256, secret, l.key, 16)); got != tt.key {
			t.Errorf("%s: key %s, want %s", tt.name, got, tt.key)
		}
		if got := hex.EncodeToString(hkdfExpandLabel(newSHA256, secret, l.iv, 12)); got != tt.iv {
			t.Errorf("%s: iv %s, want %s", tt.name, got, tt.iv)
		}
		if got := hex.EncodeToString(hkdfExpandLabel(newSHA256, secret, l.hp, 16)); got != tt.hp {
			t.Errorf("%s: hp %s, want %s", tt.name, got, tt.hp)
		}
		c, s := InitialKeys(tt.v, rfcDCID)
		k := s
		if tt.client {
			k = c
		}
		if got := hex.EncodeToString(k.iv[:]); got != tt.iv {
			t.Errorf("%s: Keys.iv %s, want %s", tt.name, got, tt.iv)
		}
	}
}

func pad(b []byte, n int) []byte {
	for len(b) < n {
		b = append(b, 0)
	}
	return b
}

// chachaRFCKeys are the ChaCha20-Poly1305 keys of RFC 9001, Appendix A.5
// (and RFC 9369, Appendix A.5 for v2).
func chachaRFCKeys(v wire.Version) func(t *testing.T) Keys {
	return func(t *testing.T) Keys {
		k, err := NewKeys(v, uint16(ChaCha20Poly1305SHA256), rfcChaChaSecret)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
}

type packetVector struct {
	name      string
	keys      func(t *testing.T) Keys
	hdr       []byte // unprotected header including packet number
	pn        int64
	payload   []byte
	protected []byte
}

func initialKeys(v wire.Version, client bool) func(t *testing.T) Keys {
	return func(t *testing.T) Keys {
		c, s := InitialKeys(v, rfcDCID)
		if client {
			return c
		}
		return s
	}
}

func packetVectors(t *testing.T) []packetVector {
	clientPayload := pad(readHex(t, "v1_client_initial_payload.hex"), 1162)
	serverPayload := readHex(t, "server_initial_payload.hex")
	return []packetVector{
		{
			name:      "RFC 9001 A.2 client Initial",
			keys:      initialKeys(wire.Version1, true),
			hdr:       unhex(t, "c300000001088394c8f03e5157080000449e00000002"),
			pn:        2,
			payload:   clientPayload,
			protected: readHex(t, "v1_client_initial_protected.hex"),
		},
		{
			name:      "RFC 9001 A.3 server Initial",
			keys:      initialKeys(wire.Version1, false),
			hdr:       unhex(t, "c1000000010008f067a5502a4262b50040750001"),
			pn:        1,
			payload:   serverPayload,
			protected: readHex(t, "v1_server_initial_protected.hex"),
		},
		{
			name:      "RFC 9369 A.2 client Initial",
			keys:      initialKeys(wire.Version2, true),
			hdr:       unhex(t, "d36b3343cf088394c8f03e5157080000449e00000002"),
			pn:        2,
			payload:   clientPayload,
			protected: readHex(t, "v2_client_initial_protected.hex"),
		},
		{
			name:      "RFC 9369 A.3 server Initial",
			keys:      initialKeys(wire.Version2, false),
			hdr:       unhex(t, "d16b3343cf0008f067a5502a4262b50040750001"),
			pn:        1,
			payload:   serverPayload,
			protected: readHex(t, "v2_server_initial_protected.hex"),
		},
		{
			// RFC 9001, Appendix A.5: ChaCha20-Poly1305 short header packet.
			name:      "RFC 9001 A.5 ChaCha20-Poly1305 short header",
			keys:      chachaRFCKeys(wire.Version1),
			hdr:       unhex(t, "4200bff4"),
			pn:        654360564,
			payload:   []byte{0x01},
			protected: unhex(t, "4cfe4189655e5cd55c41f69080575d7999c25a5bfb"),
		},
		{
			// RFC 9369, Appendix A.5: the same packet with v2 labels.
			name:      "RFC 9369 A.5 ChaCha20-Poly1305 short header",
			keys:      chachaRFCKeys(wire.Version2),
			hdr:       unhex(t, "4200bff4"),
			pn:        654360564,
			payload:   []byte{0x01},
			protected: unhex(t, "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba"),
		},
	}
}

func TestSealRFC9001Vectors(t *testing.T) {
	for _, tt := range packetVectors(t) {
		k := tt.keys(t)
		pnLen := int(tt.hdr[0]&3) + 1
		pnOff := len(tt.hdr) - pnLen
		pkt := make([]byte, 0, len(tt.hdr)+len(tt.payload)+TagLen)
		pkt = append(append(pkt, tt.hdr...), tt.payload...)
		got := k.Seal(pkt, pnOff, pnLen, uint64(tt.pn), len(tt.payload))
		if !bytes.Equal(got, tt.protected) {
			t.Errorf("%s: Seal produced\n%x\nwant\n%x", tt.name, got, tt.protected)
		}
	}
}

func TestOpenRFC9001Vectors(t *testing.T) {
	for _, tt := range packetVectors(t) {
		k := tt.keys(t)
		pkt := append([]byte(nil), tt.protected...)
		pnOff := len(tt.hdr) - (int(tt.hdr[0]&3) + 1)
		if wire.IsLongHeader(pkt[0]) {
			// Find the packet number offset the way a receiver does.
			h, err := wire.ParseHeader(pkt, 0)
			if err != nil {
				t.Fatalf("%s: ParseHeader: %v", tt.name, err)
			}
			if h.PNOffset != pnOff || h.PacketLen != len(pkt) {
				t.Errorf("%s: ParseHeader PNOffset %d PacketLen %d, want %d %d", tt.name, h.PNOffset, h.PacketLen, pnOff, len(pkt))
			}
		}
		pn, pnLen, payload, err := k.Open(pkt, pnOff, tt.pn-1)
		if err != nil {
			t.Fatalf("%s: Open: %v", tt.name, err)
		}
		if pn != tt.pn || pnLen != len(tt.hdr)-pnOff {
			t.Errorf("%s: pn %d (len %d), want %d (len %d)", tt.name, pn, pnLen, tt.pn, len(tt.hdr)-pnOff)
		}
		if !bytes.Equal(pkt[:len(tt.hdr)], tt.hdr) {
			t.Errorf("%s: unprotected header %x, want %x", tt.name, pkt[:len(tt.hdr)], tt.hdr)
		}
		if !bytes.Equal(payload, tt.payload) {
			t.Errorf("%s: payload %x, want %x", tt.name, payload, tt.payload)
		}
	}
}

// TestChaChaKeysRFC9001A5 checks the derived values listed in RFC 9001,
// Appendix A.5, including the key update secret "ku".
func TestChaChaKeysRFC9001A5(t *testing.T) {
	secret := unhex(t, "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b")
	for _, c := range []struct{ label, want string }{
		{"quic key", "c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8"},
		{"quic iv", "e0459b3474bdd0e44a41c144"},
		{"quic hp", "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4"},
		{"quic ku", "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9"},
	} {
		if got := hex.EncodeToString(hkdfExpandLabel(newSHA256, secret, c.label, len(c.want)/2)); got != c.want {
			t.Errorf("%s = %s, want %s", c.label, got, c.want)
		}
	}
	if got := hex.EncodeToString(NextSecret(wire.Version1, uint16(ChaCha20Poly1305SHA256), secret)); got != "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9" {
		t.Errorf("NextSecret = %s", got)
	}
}

// TestRetryIntegrityTagRFC9001A4 checks RFC 9001, Appendix A.4 and
// RFC 9369, Appendix A.4.
func TestRetryIntegrityTagRFC9001A4(t *testing.T) {
	for _, tt := range []struct {
		v   wire.Version
		pkt string
	}{
		{wire.Version1, "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba"},
		{wire.Version2, "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe3395 2d955543665dcc7b6"},
	} {
		pkt := unhex(t, tt.pkt)
		n := len(pkt) - 16
		tag := RetryIntegrityTag(tt.v, rfcDCID, pkt[:n])
		if !bytes.Equal(tag[:], pkt[n:]) {
			t.Errorf("%#x: tag %x, want %x", tt.v, tag, pkt[n:])
		}
		if !VerifyRetry(tt.v, rfcDCID, pkt) {
			t.Errorf("%#x: VerifyRetry rejects the RFC packet", tt.v)
		}
		pkt[len(pkt)-1] ^= 1
		if VerifyRetry(tt.v, rfcDCID, pkt) {
			t.Errorf("%#x: VerifyRetry accepts a corrupted tag", tt.v)
		}
		h, err := wire.ParseHeader(pkt, 0)
		if err != nil || h.Type != wire.PacketRetry || string(h.Token) != "token" {
			t.Errorf("%#x: ParseHeader = %+v, %v; want a Retry with token \"token\"", tt.v, h, err)
		}
	}
}
