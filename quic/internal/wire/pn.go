package wire

// MaxPacketNumber is the largest packet number (RFC 9000, Section 12.3:
// "Packet numbers are limited to this range because they need to be
// representable in whole in the Largest Acknowledged field of an ACK frame").
const MaxPacketNumber = 1<<62 - 1

// PacketNumberLen returns how many bytes (1 to 4) to use for pn so that the
// receiver, which has seen packets up to largestAcked, decodes it correctly.
// largestAcked is -1 when nothing has been acknowledged yet.
//
// RFC 9000, Appendix A.2: the sender must use a packet number size able to
// represent more than twice as large a range as the difference between the
// largest acknowledged packet number and the packet number being sent.
func PacketNumberLen(pn, largestAcked int64) int {
	var unacked int64
	if largestAcked < 0 {
		unacked = pn + 1
	} else {
		unacked = pn - largestAcked
	}
	// bits needed = log2(unacked) + 1, rounded up to whole bytes.
	switch {
	case unacked < 1<<7:
		return 1
	case unacked < 1<<15:
		return 2
	case unacked < 1<<23:
		return 3
	default:
		return 4
	}
}

// AppendPacketNumber appends the pnLen low-order bytes of pn, big-endian.
func AppendPacketNumber(b []byte, pn uint64, pnLen int) []byte {
	switch pnLen {
	case 1:
		return append(b, byte(pn))
	case 2:
		return append(b, byte(pn>>8), byte(pn))
	case 3:
		return append(b, byte(pn>>16), byte(pn>>8), byte(pn))
	case 4:
		return append(b, byte(pn>>24), byte(pn>>16), byte(pn>>8), byte(pn))
	}
	panic("wire: packet number length must be 1..4")
}

// DecodePacketNumber recovers a full packet number from its truncated
// nbits-bit form, given the largest packet number successfully processed
// in the same space (-1 if none). This is RFC 9000, Appendix A.3.
func DecodePacketNumber(largest int64, truncated uint64, nbits int) int64 {
	expected := largest + 1
	win := int64(1) << nbits
	hwin := win / 2
	mask := win - 1
	candidate := (expected &^ mask) | int64(truncated)
	// RFC 9000, Appendix A.3: the candidate is adjusted by one window when
	// it is more than half a window away from the expected value, taking
	// care neither to underflow below 0 nor to exceed 2^62.
	switch {
	case candidate <= expected-hwin && candidate < (1<<62)-win:
		return candidate + win
	case candidate > expected+hwin && candidate >= win:
		return candidate - win
	}
	return candidate
}
