//go:build race

package quicconn

// raceEnabled shrinks bulk transfers: the race detector slows both QUIC
// stacks about tenfold.
const raceEnabled = true
