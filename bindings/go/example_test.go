package rtipc_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"librtipc.dev/rtipc"
)

// A server and a client in one process: one channel from the client to the
// server, read in place.
func Example() {
	dir, _ := os.MkdirTemp("", "rtipc-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "example.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	server, err := rtipc.Listen(path, nil)
	if err != nil {
		panic(err)
	}
	defer server.Close()
	accepted := make(chan *rtipc.Group)
	go func() {
		group, err := server.Accept(ctx)
		if err != nil {
			panic(err)
		}
		accepted <- group
	}()

	client, err := rtipc.Connect(ctx, path, rtipc.GroupConfig{
		Producers: []rtipc.ChannelConfig{{MsgSize: 64, Eventfd: true}},
	})
	if err != nil {
		panic(err)
	}
	out, _ := client.TakeProducer(0)
	client.Close()
	defer out.Close()

	group := <-accepted
	in, _ := group.TakeConsumer(0)
	group.Close()
	defer in.Close()

	copy(out.Msg(), "hello")
	out.Produce(rtipc.Try)
	in.Wait(ctx)
	if r, _ := in.Consume(rtipc.Next); r.IsNew() {
		fmt.Printf("%s\n", in.Msg()[:5])
	}
	// Output: hello
}
