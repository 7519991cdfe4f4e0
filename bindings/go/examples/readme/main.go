package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"librtipc.dev/rtipc"
)

func main() {
	dir, _ := os.MkdirTemp("", "rtipc-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "example.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// The server accepts clients whose group has one channel each way.
	server, err := rtipc.Listen(path, &rtipc.ServerConfig{
		Filter: func(p *rtipc.Proposal) bool { return p.ProducerCount() == 1 && p.ConsumerCount() == 1 },
	})
	if err != nil {
		panic(err)
	}
	defer server.Close()
	go func() { // here in this process; usually another one
		group, err := server.Accept(ctx)
		if err != nil {
			panic(err)
		}
		in, _ := group.TakeConsumer(0)
		out, _ := group.TakeProducer(0)
		group.Close() // the channels live on
		defer in.Close()
		defer out.Close()
		for {
			if err := in.Wait(ctx); err != nil {
				return // the client has gone (or the time is up)
			}
			if r, _ := in.Consume(rtipc.Next); r.IsNew() {
				copy(out.Msg(), in.Msg()) // echo it, zero copy on both sides
				out.Produce(rtipc.Force)
			}
		}
	}()

	// The client offers one channel each way: 64-byte messages, an eventfd.
	channel := rtipc.ChannelConfig{MsgSize: 64, AddMsgs: 4, Eventfd: true}
	group, err := rtipc.Connect(ctx, path, rtipc.GroupConfig{
		Producers: []rtipc.ChannelConfig{channel},
		Consumers: []rtipc.ChannelConfig{channel},
	})
	if err != nil {
		panic(err)
	}
	out, _ := group.TakeProducer(0)
	in, _ := group.TakeConsumer(0)
	group.Close()
	defer out.Close()
	defer in.Close()

	copy(out.Msg(), "hello through shared memory")
	out.Produce(rtipc.Try)
	if err := in.Wait(ctx); err != nil {
		panic(err)
	}
	in.Consume(rtipc.Next)
	n := len("hello through shared memory")
	fmt.Printf("received: %s\n", in.Msg()[:n]) // valid until the next Consume
}
