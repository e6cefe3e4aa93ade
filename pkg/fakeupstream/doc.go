// Package fakeupstream is a deterministic fake LLM provider: the only test
// double on the request path. Tests, benchmarks and the demo mode point
// channels at it; it speaks each provider's wire format (OpenAI, Anthropic
// as described in anthropic.go, Gemini and Vertex AI as described in
// gemini.go, with the OAuth2 token endpoint of google_oauth.go, and Azure
// OpenAI's deployment layout of azure.go), records
// what it received and injects faults on demand.
//
// # Endpoints (OpenAI)
//
//	POST /v1/chat/completions   JSON, or SSE with "stream": true
//	POST /v1/completions        legacy text completions, JSON or SSE
//	POST /v1/embeddings         float arrays, base64 with "encoding_format": "base64"
//	POST /v1/responses          Responses API, JSON or typed SSE events
//	GET  /v1/models             the configured model list
//
// Every request needs "Authorization: Bearer <key>"; when [Options.Keys] is
// non-empty the key must be one of them. Failures use the OpenAI error shape.
// Any model name is served and echoed back, so tests can check the name the
// router sent upstream; [Server.Requests] shows the raw requests.
//
// # Generated content and usage
//
// An answer is a run of content tokens. Each token is a four-letter word;
// every token after the first carries a leading space, so an answer of N
// tokens is 5N-1 bytes and has N whitespace-separated words. An answer has 16
// tokens ([Options.DefaultTokens]) unless the scenario sets chunks or body,
// and never more than the request's max_tokens / max_completion_tokens /
// max_output_tokens (finish_reason "length", Responses status "incomplete").
//
// Reported usage is deterministic:
//   - prompt tokens: the number of whitespace-separated words (as strings.Fields
//     splits them) in the request's text: chat messages' content,
//     completions' prompt, embeddings' input, responses' instructions and input.
//     Content parts count their "text"; token-id arrays count one per id.
//     The scenario option prompt-tokens=N fixes it instead.
//   - cached tokens: cached=N, at most the prompt tokens (prompt includes cached).
//   - completion tokens: content tokens generated plus reasoning=N
//     (completion includes reasoning, as OpenAI reports it).
//
// # Scenarios
//
// A scenario selects behaviour and faults. It comes from [Options.Scenario],
// per-model and per-key overrides ([Options.ByModel], [Options.ByKey],
// [Server.SetModelScenario], [Server.SetKeyScenario]) and, so that other
// processes can drive it, from the URL: a base URL of
//
//	http://127.0.0.1:PORT/s/<scenario>/v1
//
// applies <scenario> to every request under it. Layers merge option by
// option, later ones winning: default, model, key, URL.
//
// Grammar:
//
//	scenario = option *( "," option )
//	option   = flag / name "=" value
//
// Options (each at most once):
//
//	status=N           answer with HTTP status N (400-599) and an error body
//	retry-after=N      with status: send "Retry-After: N" (seconds, 1-86400)
//	latency=D          wait D (Go duration, e.g. 20ms) before answering
//	chunks=N           stream N content chunks (1-1000000); without body=,
//	                   the answer has N tokens, one per chunk
//	pace=D             wait D between content chunks
//	cut-after=N        drop the TCP connection after N content chunks (0: right
//	                   after the opening events); a JSON answer is cut halfway
//	malformed-after=N  after N content chunks emit one event whose JSON is
//	                   broken, then carry on; a JSON answer is truncated
//	hang               accept the request and never answer until the client
//	                   gives up (or the Server is closed)
//	body=SIZE          content of about SIZE bytes: 512, 512b, 10kb, 1mb (max 64mb)
//	no-usage           report no usage (no usage chunk even if asked, no usage field)
//	zero-usage         report usage with every count zero
//	fail-first=N       the first N requests with this scenario fail with 500,
//	                   later ones succeed; counted per canonical scenario string
//	                   ([Scenario.String]) until [Server.ResetCounters]
//	tools              answer with a tool call when the request declares tools
//	                   (a tool_choice of "required" or a named function does so too)
//	prompt-tokens=N    report N prompt tokens instead of counting words
//	cached=N           report N cached prompt tokens
//	reasoning=N        report N reasoning tokens on top of the content tokens
//	timing             a whole OpenAI chat or text completion carries the fake's
//	                   own time for the request in its system_fingerprint
//	                   ([ServiceTime] reads it back)
//
// Content chunks are the events carrying generated text (or tool-call
// arguments); opening events such as the role chunk or response.created and
// closing ones are not counted. When a fault's N is not below the number of
// chunks it never fires.
//
// Faults that drop a connection hijack it (HTTP/1) or panic with
// [net/http.ErrAbortHandler] (HTTP/2); middleware in front of a Server must
// let that panic through.
package fakeupstream
