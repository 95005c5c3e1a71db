//go:build !race

package tlsconn

const raceEnabled = false
