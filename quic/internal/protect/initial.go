package protect

import (
	"crypto/hkdf"
	"crypto/sha256"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// Initial salts: RFC 9001, Section 5.2 (v1) and RFC 9369, Section 3.3.1 (v2).
var (
	initialSaltV1 = []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}
	initialSaltV2 = []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
		0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}
)

// InitialSecrets returns the client and server Initial secrets for the
// Destination Connection ID of the client's first Initial packet
// (RFC 9001, Section 5.2):
//
//	initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id)
//	client_initial_secret = HKDF-Expand-Label(initial_secret, "client in", "", 32)
//	server_initial_secret = HKDF-Expand-Label(initial_secret, "server in", "", 32)
func InitialSecrets(v wire.Version, dcid []byte) (client, server []byte) {
	salt := initialSaltV1
	if v == wire.Version2 {
		salt = initialSaltV2
	}
	initial, err := hkdf.Extract(sha256.New, dcid, salt)
	if err != nil {
		panic("protect: HKDF-Extract: " + err.Error())
	}
	client = hkdfExpandLabel(newSHA256, initial, "client in", 32)
	server = hkdfExpandLabel(newSHA256, initial, "server in", 32)
	return client, server
}

// InitialKeys returns the Initial packet protection keys (AES-128-GCM,
// RFC 9001, Section 5.2) for both directions: client protects what the
// client sends, server what the server sends. Unknown versions get v1
// keys; callers only build Initial keys for versions they speak.
func InitialKeys(v wire.Version, dcid []byte) (client, server Keys) {
	cs, ss := InitialSecrets(v, dcid)
	var err error
	if client, err = NewKeys(v, uint16(AES128GCMSHA256), cs); err != nil {
		panic("protect: initial keys: " + err.Error())
	}
	if server, err = NewKeys(v, uint16(AES128GCMSHA256), ss); err != nil {
		panic("protect: initial keys: " + err.Error())
	}
	return client, server
}
