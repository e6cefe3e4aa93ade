package router

import (
	"net/http"
	"strings"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/translate"
	"github.com/burncloud/burncloud/services/router/snapshot"
)

// operation is one endpoint of a client-facing surface (DESIGN §3.5).
type operation struct {
	name    string // usage events' operation and the metrics' gen_ai_operation_name
	surface translate.Protocol
	// path is appended to a same-protocol channel's base URL (OpenAI,
	// Anthropic); for Gemini it is the method after the model's colon.
	path string
	// addUsage: OpenAI streams may get stream_options.include_usage added.
	addUsage bool
	// streams: the body's stream flag is honoured; alwaysStreams: the
	// endpoint itself streams (Gemini's streamGenerateContent).
	streams, alwaysStreams bool
	// chat endpoints translate to the other protocols' chat endpoints.
	chat bool
	// embed: generates no tokens. free: costs nothing (token counting).
	embed, free bool
	list        bool // lists models; no body
	// accept is the channels the endpoint can be served by.
	accept func(*snapshot.Channel) bool
}

func newOperation(op operation) *operation {
	p := &op
	p.accept = func(ch *snapshot.Channel) bool { return p.serves(ch) }
	return p
}

var (
	opChat        = newOperation(operation{name: "chat.completions", surface: translate.OpenAI, path: "/chat/completions", addUsage: true, streams: true, chat: true})
	opCompletions = newOperation(operation{name: "completions", surface: translate.OpenAI, path: "/completions", addUsage: true, streams: true})
	opEmbeddings  = newOperation(operation{name: "embeddings", surface: translate.OpenAI, path: "/embeddings", embed: true})
	opResponses   = newOperation(operation{name: "responses", surface: translate.OpenAI, path: "/responses", streams: true})
	opModels      = newOperation(operation{name: "models", surface: translate.OpenAI, list: true})

	opMessages    = newOperation(operation{name: "messages", surface: translate.Anthropic, path: "/v1/messages", streams: true, chat: true})
	opCountTokens = newOperation(operation{name: "messages.count_tokens", surface: translate.Anthropic, path: "/v1/messages/count_tokens", free: true})

	opGenerate      = newOperation(operation{name: "generate_content", surface: translate.Gemini, path: "generateContent", chat: true})
	opStream        = newOperation(operation{name: "stream_generate_content", surface: translate.Gemini, path: "streamGenerateContent", streams: true, alwaysStreams: true, chat: true})
	opGeminiCount   = newOperation(operation{name: "count_tokens", surface: translate.Gemini, path: "countTokens", free: true})
	opEmbedContent  = newOperation(operation{name: "embed_content", surface: translate.Gemini, path: "embedContent", embed: true})
	opBatchEmbed    = newOperation(operation{name: "batch_embed_contents", surface: translate.Gemini, path: "batchEmbedContents", embed: true})
	opGeminiModels  = newOperation(operation{name: "models", surface: translate.Gemini, list: true})
	geminiMethodOps = [...]*operation{opGenerate, opStream, opGeminiCount, opEmbedContent, opBatchEmbed}
)

// serves reports whether ch can answer the operation: a channel of the
// same protocol always can; for chat, one whose protocol has translators.
func (op *operation) serves(ch *snapshot.Channel) bool {
	up := protocolOf(ch.Type)
	if up == op.surface {
		return true
	}
	if !op.chat || up == 0 {
		return false
	}
	_, ok := translate.BridgeFor(op.surface, up)
	return ok
}

// protocolOf is the protocol a channel type speaks.
func protocolOf(t adminv1.ChannelType) translate.Protocol {
	switch t {
	case adminv1.ChannelType_CHANNEL_TYPE_OPENAI, adminv1.ChannelType_CHANNEL_TYPE_AZURE:
		return translate.OpenAI
	case adminv1.ChannelType_CHANNEL_TYPE_ANTHROPIC:
		return translate.Anthropic
	case adminv1.ChannelType_CHANNEL_TYPE_GEMINI, adminv1.ChannelType_CHANNEL_TYPE_VERTEX:
		return translate.Gemini
	}
	return 0
}

func protocolEvent(p translate.Protocol) usagev1.Protocol {
	switch p {
	case translate.OpenAI:
		return usagev1.Protocol_PROTOCOL_OPENAI
	case translate.Anthropic:
		return usagev1.Protocol_PROTOCOL_ANTHROPIC
	case translate.Gemini:
		return usagev1.Protocol_PROTOCOL_GEMINI
	}
	return usagev1.Protocol_PROTOCOL_UNSPECIFIED
}

// upstreamPath is what follows a channel's base URL for op: the operation's
// own path for the same protocol, else the upstream's chat endpoint.
func upstreamPath(op *operation, up translate.Protocol, stream bool) string {
	if up == op.surface {
		return op.path
	}
	switch up {
	case translate.Anthropic:
		return opMessages.path
	case translate.Gemini:
		if stream {
			return opStream.path
		}
		return opGenerate.path
	}
	return opChat.path
}

// geminiTarget splits "{model}:{method}" from a /v1beta/models/ path.
func geminiTarget(rest string) (model string, op *operation, ok bool) {
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", nil, false
	}
	model, method := rest[:i], rest[i+1:]
	for _, o := range geminiMethodOps {
		if o.path == method {
			return model, o, true
		}
	}
	return "", nil, false
}

// surfaceOfPath picks the error shape for a path no route matched.
func surfaceOfPath(r *http.Request) translate.Protocol {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1beta/"):
		return translate.Gemini
	case r.Header.Get("Anthropic-Version") != "", strings.HasPrefix(r.URL.Path, "/v1/messages"):
		return translate.Anthropic
	}
	return translate.OpenAI
}
