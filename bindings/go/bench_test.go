package rtipc

import (
	"testing"

	"librtipc.dev/rtipc/internal/cgocost"
)

// go test -bench . -run ^$: the hot path beside an empty cgo call, in one
// process (scripts/bench-lang measures the same across processes).

func BenchmarkCgoEmptyCall(b *testing.B) {
	for i := 0; i < b.N; i++ {
		cgocost.Empty(i)
	}
}

func BenchmarkConsumeNothing(b *testing.B) {
	client, server := pair(b, oneWay(16, 0, false), nil)
	in, _ := server.TakeConsumer(0)
	defer in.Close()
	defer client.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in.Consume(Next)
	}
}

func BenchmarkProduceForce(b *testing.B) {
	client, server := pair(b, oneWay(16, 0, false), nil)
	out, _ := client.TakeProducer(0)
	defer out.Close()
	defer server.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.Produce(Force)
	}
}
