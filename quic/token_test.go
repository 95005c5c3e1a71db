package quic

import (
	"crypto/rand"
	"errors"
	"net/netip"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/protect"
	"github.com/ngloop/ngloop/quic/internal/wire"
)

func TestTokenValidate(t *testing.T) {
	tp, err := NewTokenProtector([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewTokenProtector([]byte("fedcba9876543210"))
	client := netip.MustParseAddrPort("192.0.2.1:4433")
	odcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	now := Tstamp(100 * Seconds)
	retry, err := tp.NewRetryToken(nil, client, odcid, now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	nt, err := tp.NewToken(nil, client, now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tampered := append([]byte(nil), retry...)
	tampered[len(tampered)-1] ^= 1
	for _, tc := range []struct {
		name      string
		p         *TokenProtector
		token     []byte
		from      string
		at        Tstamp
		wantErr   error
		wantRetry bool
	}{
		{name: "retry token from the same socket", p: tp, token: retry, from: "192.0.2.1:4433", at: now + Tstamp(Seconds), wantRetry: true},
		{name: "retry token from another port", p: tp, token: retry, from: "192.0.2.1:4434", at: now, wantErr: ErrTokenInvalid},
		{name: "retry token expired", p: tp, token: retry, from: "192.0.2.1:4433", at: now + Tstamp(11*Seconds), wantErr: ErrTokenExpired},
		{name: "retry token altered", p: tp, token: tampered, from: "192.0.2.1:4433", at: now, wantErr: ErrTokenInvalid},
		{name: "retry token of another key", p: other, token: retry, from: "192.0.2.1:4433", at: now, wantErr: ErrTokenInvalid},
		{name: "NEW_TOKEN token from another port", p: tp, token: nt, from: "192.0.2.1:5000", at: now + Tstamp(3600*Seconds)},
		{name: "NEW_TOKEN token from another address", p: tp, token: nt, from: "192.0.2.2:4433", at: now, wantErr: ErrTokenInvalid},
		{name: "NEW_TOKEN token expired", p: tp, token: nt, from: "192.0.2.1:4433", at: now + Tstamp(86401*Seconds), wantErr: ErrTokenExpired},
		{name: "garbage", p: tp, token: []byte("hello, this is not a token at all......"), from: "192.0.2.1:4433", at: now, wantErr: ErrTokenInvalid},
		{name: "empty", p: tp, token: nil, from: "192.0.2.1:4433", at: now, wantErr: ErrTokenInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.p.Validate(tc.token, netip.MustParseAddrPort(tc.from), tc.at, 10*Seconds, 86400*Seconds)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Validate = %v, want %v", err, tc.wantErr)
			}
			if err == nil && (v.Retry != tc.wantRetry || v.Retry && string(v.OriginalDCID) != string(odcid)) {
				t.Fatalf("Validate = %+v, want retry %v with the original DCID", v, tc.wantRetry)
			}
		})
	}
}

func TestWriteRetryHasValidIntegrityTag(t *testing.T) {
	dcid := []byte{9, 9, 9, 9, 9, 9, 9, 9}
	buf := make([]byte, 200)
	for _, v := range []uint32{Version1, Version2} {
		n, err := WriteRetry(buf, v, dcid, []byte{1, 2, 3, 4}, []byte{5, 6, 7, 8, 5, 6, 7, 8}, []byte("token"))
		if err != nil {
			t.Fatal(err)
		}
		if !protect.VerifyRetry(wire.Version(v), dcid, buf[:n]) {
			t.Fatalf("version %#x: the client would reject our Retry's integrity tag", v)
		}
	}
	if _, err := WriteRetry(buf, Version1, dcid, nil, dcid, []byte("t")); err != ErrInvalidArgument {
		t.Fatalf("Retry reusing the client's DCID: %v, want ErrInvalidArgument", err)
	}
	if _, err := WriteRetry(buf[:20], Version1, dcid, nil, []byte{1, 2, 3, 4}, []byte("token")); err != ErrNoBuf {
		t.Fatalf("small buffer: %v, want ErrNoBuf", err)
	}
}

// TestConnServerSendsNewTokenClientReceives: with Settings.TokenProtector
// the server sends one NEW_TOKEN after the handshake is confirmed, and
// Callbacks.RecvNewToken hands it to the client application.
func TestConnServerSendsNewTokenClientReceives(t *testing.T) {
	tp, _ := NewTokenProtector([]byte("0123456789abcdef"))
	var got [][]byte
	p := newTestPair(t, pairOpts{
		serverSettings: Settings{TokenProtector: tp},
		clientCB: Callbacks{RecvNewToken: func(_ *Conn, tok []byte) error {
			got = append(got, append([]byte(nil), tok...))
			return nil
		}},
	})
	p.handshake()
	p.settle()
	if len(got) != 1 {
		t.Fatalf("client got %d NEW_TOKEN tokens, want 1", len(got))
	}
	if _, err := tp.Validate(got[0], testServerPath.Remote, p.ts, Seconds, 3600*Seconds); err != nil {
		t.Fatalf("the token does not validate for the client's address: %v", err)
	}
}
