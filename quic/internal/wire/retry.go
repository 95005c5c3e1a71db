package wire

// RetryIntegrityTagLen is the size of the Retry Integrity Tag
// (RFC 9001, Section 5.8).
const RetryIntegrityTagLen = 16
