// Package usage holds the normalized token usage every provider's numbers map to,
// and the scanners that find those numbers in provider responses.
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
