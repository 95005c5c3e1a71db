// Package h2conn runs HTTP/2 over cleartext TCP (h2c) on a loop.Engine:
// server connections that serve requests with a Handler on the loop (or a
// standard net/http Handler on a worker pool, see NetHTTP), and client
// connections for load generators and proxies (see Client).
//
// Each connection owns one h2.Session. Bytes from the socket go to
// Session.MemRecv; the session's Send callback writes into the
// connection's output ring and reports h2.ErrWouldBlock when the loop's
// Write hits the high-water mark, and the loop's OnWritable resumes Send.
// While output is backed up the connection stops reading, so a peer that
// does not read makes the server stop, not grow.
package h2conn
