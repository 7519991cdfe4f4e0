package rtipc

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
)

// The copying paths: a message read with CopyMsg stays as it was after the
// next Consume and after Close (the zero-copy Msg slice does not), and Send
// refuses data longer than a message.
func TestCopyMsgOutlivesConsumeAndClose(t *testing.T) {
	client, server := pair(t, oneWay(16, 0, false), nil)
	out, _ := client.TakeProducer(0)
	in, _ := server.TakeConsumer(0)
	defer out.Close()

	buf := make([]byte, 32)
	if n, err := in.CopyMsg(buf); n != 0 || err != nil {
		t.Fatalf("before the first message: %d %v", n, err)
	}
	for _, text := range []string{"first", "second"} {
		if _, err := out.Send([]byte(text), Force); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := in.Consume(Next); r != New {
		t.Fatalf("consume: %v", r)
	}
	n, err := in.CopyMsg(buf)
	if n != 16 || err != nil || !bytes.HasPrefix(buf, []byte("first\x00")) {
		t.Fatalf("copy: %d %v %q", n, err, buf[:n])
	}
	kept := buf[:n:n]
	if r, _ := in.Consume(Next); r != New || !bytes.HasPrefix(in.Msg(), []byte("second")) {
		t.Fatalf("second consume: %v %q", r, in.Msg())
	}
	if !bytes.HasPrefix(kept, []byte("first\x00")) {
		t.Fatalf("the copy changed with the next consume: %q", kept)
	}
	small := make([]byte, 3)
	if n, _ := in.CopyMsg(small); n != 3 || string(small) != "sec" {
		t.Fatalf("short copy: %d %q", n, small)
	}
	in.Close()
	if n, err := in.CopyMsg(buf); n != 0 || !errors.Is(err, ErrClosed) {
		t.Fatalf("copy after close: %d %v", n, err)
	}
	if !bytes.HasPrefix(kept, []byte("first\x00")) {
		t.Fatalf("the copy changed with close: %q", kept)
	}
}

func TestSendRefusesOverlongData(t *testing.T) {
	client, server := pair(t, oneWay(64, 0, false), nil)
	out, _ := client.TakeProducer(0)
	in, _ := server.TakeConsumer(0)
	defer out.Close()
	defer in.Close()
	_, err := out.Send(make([]byte, 65), Force)
	var e *Error
	if !errors.Is(err, syscall.EMSGSIZE) || !errors.As(err, &e) ||
		!strings.Contains(e.Msg, "65 bytes") || !strings.Contains(e.Msg, "64-byte") {
		t.Fatalf("overlong send: %v", err)
	}
	if r, _ := in.Consume(Next); r != NothingProduced {
		t.Fatalf("an overlong send published: %v", r)
	}
	if r, err := out.Send(make([]byte, 64), Force); r != Published || err != nil {
		t.Fatalf("a full-size send: %v %v", r, err)
	}
	out.Close()
	if _, err := out.Send(nil, Force); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
}

func TestWaitWithoutEventfdSaysWhatToDo(t *testing.T) {
	client, server := pair(t, oneWay(8, 0, false), nil)
	out, _ := client.TakeProducer(0)
	in, _ := server.TakeConsumer(0)
	defer out.Close()
	defer in.Close()
	err := in.Wait(context.Background())
	if !errors.Is(err, syscall.ENOTSUP) || !strings.Contains(err.Error(), "create it with eventfd enabled") {
		t.Fatalf("wait without eventfd: %v", err)
	}
}
