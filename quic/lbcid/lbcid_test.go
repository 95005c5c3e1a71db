package lbcid

import (
	"bytes"
	"crypto/rand"
	"testing"
)

var testKey = []byte("0123456789abcdef")

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{name: "plaintext 1-byte server ID", cfg: Config{ID: 0, ServerIDLen: 1, NonceLen: 7}},
		{name: "plaintext 3-byte server ID, rotation 2", cfg: Config{ID: 2, ServerIDLen: 3, NonceLen: 8}},
		{name: "single-pass AES", cfg: Config{ID: 1, ServerIDLen: 4, NonceLen: 12, Key: testKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sid := []byte{0xa1, 0xb2, 0xc3, 0xd4}[:tc.cfg.ServerIDLen]
			e, err := NewEncoder(tc.cfg, sid)
			if err != nil {
				t.Fatal(err)
			}
			d, err := NewDecoder(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for i := 0; i < 100; i++ {
				cid := make([]byte, e.Len())
				if err := e.Generate(cid, rand.Reader); err != nil {
					t.Fatal(err)
				}
				if seen[string(cid)] {
					t.Fatalf("connection ID %x repeated", cid)
				}
				seen[string(cid)] = true
				if got := cid[0] >> 5; got != tc.cfg.ID {
					t.Fatalf("rotation bits %d, want %d", got, tc.cfg.ID)
				}
				if got := int(cid[0]&0x1f) + 1; got != len(cid) {
					t.Fatalf("length self-description %d, want %d", got, len(cid))
				}
				if tc.cfg.Key != nil && bytes.Contains(cid[1:], sid) {
					t.Fatalf("encrypted connection ID %x shows the server ID", cid)
				}
				var out [15]byte
				n, id, err := d.ServerID(cid, out[:])
				if err != nil || id != tc.cfg.ID || !bytes.Equal(out[:n], sid) {
					t.Fatalf("ServerID(%x) = %x, %d, %v; want %x", cid, out[:n], id, err, sid)
				}
			}
		})
	}
}

func TestDecoderRotation(t *testing.T) {
	old := Config{ID: 0, ServerIDLen: 2, NonceLen: 6}
	cur := Config{ID: 1, ServerIDLen: 4, NonceLen: 12, Key: testKey}
	d, err := NewDecoder(old, cur)
	if err != nil {
		t.Fatal(err)
	}
	eo, _ := NewEncoder(old, []byte{1, 2})
	ec, _ := NewEncoder(cur, []byte{3, 4, 5, 6})
	for _, e := range []*Encoder{eo, ec} {
		cid := make([]byte, e.Len())
		e.Generate(cid, rand.Reader)
		var out [15]byte
		n, _, err := d.ServerID(cid, out[:])
		if err != nil || !bytes.Equal(out[:n], e.serverID[:e.cfg.ServerIDLen]) {
			t.Fatalf("during rotation: ServerID(%x) = %x, %v", cid, out[:n], err)
		}
	}
	if _, _, err := d.ServerID([]byte{7<<5 | 7, 1, 2, 3, 4, 5, 6, 7}, make([]byte, 15)); err != ErrUnknownConfig {
		t.Fatalf("reserved rotation 7: %v, want ErrUnknownConfig", err)
	}
	if _, _, err := d.ServerID([]byte{2 << 5, 1, 2, 3, 4, 5, 6, 7}, make([]byte, 15)); err != ErrUnknownConfig {
		t.Fatalf("unknown rotation 2: %v, want ErrUnknownConfig", err)
	}
	if _, _, err := d.ServerID([]byte{1 << 5, 1, 2}, make([]byte, 15)); err != ErrLength {
		t.Fatalf("short connection ID: %v, want ErrLength", err)
	}
}

func TestConfigChecks(t *testing.T) {
	for _, c := range []Config{
		{ID: 7, ServerIDLen: 1, NonceLen: 4},
		{ServerIDLen: 0, NonceLen: 4},
		{ServerIDLen: 1, NonceLen: 3},
		{ServerIDLen: 15, NonceLen: 5},
		{ServerIDLen: 4, NonceLen: 11, Key: testKey},
		{ServerIDLen: 4, NonceLen: 12, Key: []byte("short")},
	} {
		if _, err := NewEncoder(c, make([]byte, c.ServerIDLen)); err != ErrConfig {
			t.Errorf("NewEncoder(%+v) = %v, want ErrConfig", c, err)
		}
	}
	if _, err := NewDecoder(Config{ID: 1, ServerIDLen: 1, NonceLen: 4}, Config{ID: 1, ServerIDLen: 2, NonceLen: 4}); err != ErrConfig {
		t.Errorf("two configs with one ID: %v, want ErrConfig", err)
	}
	if _, err := NewEncoder(Config{ServerIDLen: 2, NonceLen: 4}, []byte{1}); err != ErrLength {
		t.Errorf("server ID of the wrong length: %v, want ErrLength", err)
	}
}

func TestServerIDAllocatesNothing(t *testing.T) {
	cfg := Config{ID: 1, ServerIDLen: 4, NonceLen: 12, Key: testKey}
	e, _ := NewEncoder(cfg, []byte{1, 2, 3, 4})
	d, _ := NewDecoder(cfg)
	cid := make([]byte, e.Len())
	e.Generate(cid, rand.Reader)
	out := make([]byte, 16)
	if a := testing.AllocsPerRun(100, func() { d.ServerID(cid, out) }); a != 0 {
		t.Fatalf("ServerID allocates %v times per call", a)
	}
}

func BenchmarkServerIDEncrypted(b *testing.B) {
	cfg := Config{ID: 1, ServerIDLen: 4, NonceLen: 12, Key: testKey}
	e, _ := NewEncoder(cfg, []byte{1, 2, 3, 4})
	d, _ := NewDecoder(cfg)
	cid := make([]byte, e.Len())
	e.Generate(cid, rand.Reader)
	out := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		d.ServerID(cid, out)
	}
}

func FuzzServerID(f *testing.F) {
	f.Add([]byte{0x20 | 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{0x07, 1, 2, 3, 4, 5, 6, 7})
	d, _ := NewDecoder(Config{ID: 0, ServerIDLen: 2, NonceLen: 5}, Config{ID: 1, ServerIDLen: 4, NonceLen: 12, Key: testKey})
	out := make([]byte, 16)
	f.Fuzz(func(t *testing.T, cid []byte) {
		n, _, err := d.ServerID(cid, out)
		if err == nil && (n < 1 || n > 15) {
			t.Fatalf("server ID length %d", n)
		}
	})
}
