// Package usage holds the normalized token usage every provider's numbers map to,
// and the scanners that find those numbers in provider responses.
//
// Scanners never decode whole bodies and do not allocate: a minimal JSON
// tokenizer walks the top-level object, skipping strings, so text such as
// "usage" inside model output is never taken for the usage key.
//
// Partial streams: when a provider reported usage (Usage's bool is true,
// even for zeros), that usage is billed. When a stream ended before any
// usage arrived, the bill is the request's input estimate (InputUpperBound:
// one token per request body byte) and the output received, estimated as
// EstimateTokens(OutputBytes()): one token per four bytes of generated text,
// rounded up.
package usage

// Usage is the provider-independent token count of one request (DESIGN §3.3).
// Output counts every generated token, reasoning included; Reasoning is the
// part of Output spent on reasoning.
type Usage struct {
	InputUncached   int64
	InputCacheRead  int64
	InputCacheWrite int64
	Output          int64
	Reasoning       int64
}

// InputTotal is every input token, cached or not; tiers are chosen by it.
func (u Usage) InputTotal() int64 {
	return u.InputUncached + u.InputCacheRead + u.InputCacheWrite
}
