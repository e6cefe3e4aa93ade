package sse

import (
	"fmt"
	"io"
	"testing"
)

// loopReader serves the same stream forever, like a long-lived upstream.
type loopReader struct {
	stream []byte
	off    int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.stream[l.off:])
	l.off = (l.off + n) % len(l.stream)
	return n, nil
}

func benchStream(b *testing.B, chunk string) {
	var stream []byte
	for i := range 64 {
		stream = fmt.Appendf(stream, chunk, i)
	}
	r := NewReader(&loopReader{stream: stream}, 0)
	b.SetBytes(int64(len(stream) / 64))
	b.ReportAllocs()
	for b.Loop() {
		e, err := r.Next()
		if err != nil || !e.HasData {
			b.Fatalf("%+v %v", toEv(e), err)
		}
	}
}

func BenchmarkReaderOpenAIChunk(b *testing.B) {
	benchStream(b, "data: {\"id\":\"chatcmpl-%d\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,"+
		"\"model\":\"gpt-4o-2024-11-20\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" token\"},"+
		"\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n")
}

func BenchmarkReaderAnthropicCRLF(b *testing.B) {
	benchStream(b, "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":%d,"+
		"\"delta\":{\"type\":\"text_delta\",\"text\":\" token\"}}\r\n\r\n")
}

func BenchmarkReaderMultiLine(b *testing.B) {
	benchStream(b, "id: %d\ndata: line one\ndata: line two\ndata: line three\n\n")
}

func BenchmarkAppendEvent(b *testing.B) {
	data := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" token"}}`)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = AppendEvent(buf[:0], "content_block_delta", data)
		if err != nil {
			b.Fatal(err)
		}
	}
	_, _ = io.Discard.Write(buf)
}
