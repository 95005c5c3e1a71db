package h2_test

import (
	"fmt"

	"github.com/ngloop/ngloop/h2"
)

// A client and a server session wired back to back in memory: the client
// sends GET, the server answers with a body, the client reads it.
func Example() {
	var toServer, toClient []byte
	body := []byte("hello, world")
	var server, client *h2.Session

	serverCB := &h2.Callbacks{
		Send: func(s *h2.Session, b []byte) (int, error) {
			toClient = append(toClient, b...)
			return len(b), nil
		},
		OnFrameRecv: func(s *h2.Session, f *h2.Frame) error {
			if f.Type() == h2.FrameHeaders && f.Flags().Has(h2.FlagEndStream) {
				data := body
				return s.SubmitResponse(f.StreamID(), []h2.NV{
					{Name: []byte(":status"), Value: []byte("200")},
				}, &h2.DataProvider{Read: func(s *h2.Session, id int32, buf []byte, flags *h2.DataFlags) (int, error) {
					n := copy(buf, data)
					data = data[n:]
					if len(data) == 0 {
						*flags |= h2.DataFlagEOF
					}
					return n, nil
				}})
			}
			return nil
		},
	}
	clientCB := &h2.Callbacks{
		Send: func(s *h2.Session, b []byte) (int, error) {
			toServer = append(toServer, b...)
			return len(b), nil
		},
		OnHeader: func(s *h2.Session, f *h2.Frame, name, value []byte, flags h2.NVFlag) error {
			fmt.Printf("%s: %s\n", name, value)
			return nil
		},
		OnDataChunkRecv: func(s *h2.Session, flags h2.FrameFlags, id int32, data []byte) error {
			fmt.Printf("body: %s\n", data)
			return nil
		},
		OnStreamClose: func(s *h2.Session, id int32, code h2.ErrorCode) error {
			fmt.Printf("stream %d closed: %v\n", id, code)
			return nil
		},
	}
	server, _ = h2.NewServerSession(serverCB, nil)
	client, _ = h2.NewClientSession(clientCB, nil)
	client.SubmitRequest([]h2.NV{
		{Name: []byte(":method"), Value: []byte("GET")},
		{Name: []byte(":scheme"), Value: []byte("https")},
		{Name: []byte(":path"), Value: []byte("/")},
		{Name: []byte(":authority"), Value: []byte("example.org")},
	}, nil, nil)
	for client.WantWrite() || server.WantWrite() || len(toServer)+len(toClient) > 0 {
		client.Send()
		server.MemRecv(toServer)
		toServer = toServer[:0]
		server.Send()
		client.MemRecv(toClient)
		toClient = toClient[:0]
	}
	// Output:
	// :status: 200
	// body: hello, world
	// stream 1 closed: NO_ERROR
}
