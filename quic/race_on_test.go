//go:build race

package quic

// raceEnabled shrinks the interop bulk transfers: the race detector slows
// both QUIC stacks about tenfold, and CI must stay within its budget.
const raceEnabled = true
