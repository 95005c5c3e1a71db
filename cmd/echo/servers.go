package main

import "github.com/ngloop/ngloop/loop"

// server is one protocol the command can serve. To add one, write a file
// with a listen function and append it to servers in an init function:
//
//	func init() {
//		servers = append(servers, &server{name: "h2c", defaultAddr: "127.0.0.1:7001",
//			usage: "HTTP/2 cleartext echo address", listen: listenH2C})
//	}
type server struct {
	name        string // flag name and label
	defaultAddr string
	usage       string
	// listen sets the server up on e before e starts and returns a
	// function that reports the bound address once it has.
	listen func(e *loop.Engine, addr string) (bound func() string, err error)

	addr  *string
	bound func() string
}

var servers []*server
