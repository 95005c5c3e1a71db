// Package echocmp compares echo servers built three ways: on the ngloop
// engine (loop.Engine), on bare gnet, and with one goroutine per
// connection on package net. Each server runs in its own child process so
// its CPU time (getrusage) and allocation count (runtime.MemStats) are its
// own; a Go load client in the parent drives many connections doing
// ping-pong round trips, measuring the servers alternately in one run.
//
// Run it with
//
//	go run ./bench/echocmp/cmd/echocmp
//
// and see Options for the knobs (connections, message sizes, rounds,
// window length, loops).
package echocmp
