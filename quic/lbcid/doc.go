// Package lbcid makes QUIC connection IDs that a load balancer can route
// without state, in the spirit of QUIC-LB (draft-ietf-quic-load-balancers):
// each connection ID a server issues carries its server ID, so an L4
// balancer, or several processes sharing a port with SO_REUSEPORT, can
// read the server ID from any packet's Destination Connection ID and
// steer it, even after the client moved to a new address.
//
// Layout of a connection ID:
//
//	first octet: config rotation (3 bits) | length self-description (5 bits: len-1)
//	then: server ID (ServerIDLen bytes) | nonce (NonceLen bytes)
//
// In plaintext mode the server ID is visible. With a 16-byte AES key and
// ServerIDLen+NonceLen == 16, the 16 bytes after the first octet are one
// AES-128 block (the draft's single-pass encryption), so observers cannot
// link connection IDs to servers; the balancer holds the key. The config
// rotation bits let a balancer run two configurations while servers
// change over; the value 7 is reserved for connection IDs that do not
// follow any configuration.
//
// A server encodes with Encoder.Generate (loop/quicconn does this when
// Config.LoadBalancer is set); a balancer decodes with Decoder.ServerID.
// Neither allocates.
package lbcid
