package usage

// BytesPerOutputToken is the divisor of EstimateTokens. English text and
// code average about four bytes per token with the OpenAI, Anthropic and
// Gemini tokenizers; rounding up keeps a one-byte fragment from being free.
const BytesPerOutputToken = 4

// EstimateTokens estimates the tokens of nBytes of generated text (see
// StreamScanner.OutputBytes) as ceil(nBytes / BytesPerOutputToken), clamped
// to [0, MaxCount]. It prices what a client received from a stream that was
// cut before the provider reported usage.
func EstimateTokens(nBytes int) int64 {
	if nBytes <= 0 {
		return 0
	}
	return min((int64(nBytes)+BytesPerOutputToken-1)/BytesPerOutputToken, MaxCount)
}

// InputUpperBound bounds the input tokens of a request whose body has
// bodyBytes bytes: one token per byte, clamped to [0, MaxCount].
//
// It is an upper bound for text because every token of a byte-level BPE
// (OpenAI, Anthropic) or of SentencePiece with byte fallback (Gemini) covers
// at least one byte of the text it encodes, and the JSON around that text
// (keys, quotes, escapes) takes more bytes than the few template tokens a
// provider adds per message. It does not bound media the provider fetches or
// prices by size rather than bytes sent (an image URL, a file id); callers
// add their own allowance for those.
func InputUpperBound(bodyBytes int) int64 {
	return min(int64(max(bodyBytes, 0)), MaxCount)
}
