package translate

// Protocol is an API family a client or an upstream speaks. Only the chat
// endpoints translate: OpenAI Chat Completions, Anthropic Messages and
// Gemini generateContent.
type Protocol uint8

const (
	OpenAI Protocol = iota + 1
	Anthropic
	Gemini
)

func (p Protocol) String() string {
	switch p {
	case OpenAI:
		return "openai"
	case Anthropic:
		return "anthropic"
	case Gemini:
		return "gemini"
	}
	return "unknown"
}

// StreamConverter turns an upstream event stream into the client's, one
// event at a time; Finish ends it (with an error event when the upstream
// stream ended early).
type StreamConverter interface {
	Feed(eventName, data, dst []byte) ([]byte, error)
	Finish(dst []byte) []byte
	Done() bool
}

// Bridge is everything needed to serve a client of one protocol from an
// upstream of another.
type Bridge struct {
	// Request translates the client's request body into the upstream's.
	Request func(body []byte, opts Options) ([]byte, error)
	// Response translates a whole upstream answer; model is the name the
	// client asked for.
	Response func(body []byte, model string) ([]byte, error)
	// Stream starts a converter for a streamed answer. includeUsage asks
	// for the usage the client's protocol sends only on request (OpenAI's
	// stream_options.include_usage); other protocols ignore it.
	Stream func(model string, includeUsage bool) StreamConverter
	// Error translates an upstream error body answered with status.
	Error func(body []byte, status int) []byte
}

// BridgeFor returns the translators from client to upstream, false when
// the pair is not translated (including the same protocol on both sides,
// which passes through).
func BridgeFor(client, upstream Protocol) (Bridge, bool) {
	switch [2]Protocol{client, upstream} {
	case [2]Protocol{OpenAI, Anthropic}:
		return Bridge{
			Request:  OpenAIChatToAnthropic,
			Response: AnthropicResponseToOpenAI,
			Stream: func(model string, includeUsage bool) StreamConverter {
				return NewAnthropicToOpenAIStream(model, includeUsage)
			},
			Error: AnthropicErrorToOpenAI,
		}, true
	case [2]Protocol{Anthropic, OpenAI}:
		return Bridge{
			Request:  AnthropicToOpenAIChat,
			Response: OpenAIResponseToAnthropic,
			Stream: func(model string, _ bool) StreamConverter {
				return NewOpenAIToAnthropicStream(model)
			},
			Error: OpenAIErrorToAnthropic,
		}, true
	case [2]Protocol{OpenAI, Gemini}:
		return Bridge{
			Request:  OpenAIChatToGemini,
			Response: GeminiResponseToOpenAI,
			Stream: func(model string, includeUsage bool) StreamConverter {
				return NewGeminiToOpenAIStream(model, includeUsage)
			},
			Error: GeminiErrorToOpenAI,
		}, true
	case [2]Protocol{Gemini, OpenAI}:
		return Bridge{
			Request:  GeminiToOpenAIChat,
			Response: OpenAIResponseToGemini,
			Stream: func(model string, _ bool) StreamConverter {
				return NewOpenAIToGeminiStream(model)
			},
			Error: OpenAIErrorToGemini,
		}, true
	case [2]Protocol{Anthropic, Gemini}:
		return Bridge{
			Request:  AnthropicToGemini,
			Response: GeminiResponseToAnthropic,
			Stream: func(model string, _ bool) StreamConverter {
				return NewGeminiToAnthropicStream(model)
			},
			Error: GeminiErrorToAnthropic,
		}, true
	case [2]Protocol{Gemini, Anthropic}:
		return Bridge{
			Request:  GeminiToAnthropic,
			Response: AnthropicResponseToGemini,
			Stream: func(model string, _ bool) StreamConverter {
				return NewAnthropicToGeminiStream(model)
			},
			Error: AnthropicErrorToGemini,
		}, true
	}
	return Bridge{}, false
}
