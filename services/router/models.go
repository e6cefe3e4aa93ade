package router

import (
	"github.com/burncloud/burncloud/pkg/jsonwrite"
	"net/http"
	"strconv"
)

// listModels answers the surface's model list with the models the key may
// use through it. GET /v1/models is shared by OpenAI and Anthropic: a
// request with anthropic-version gets Anthropic's shape.
func (c *call) listModels(w http.ResponseWriter, r *http.Request) error {
	chat, appendModels := opChat, appendOpenAIModels
	switch {
	case c.op == opGeminiModels:
		chat, appendModels = opGenerate, appendGeminiModels
	case r.Header.Get("Anthropic-Version") != "":
		chat, appendModels = opMessages, appendAnthropicModels
	}
	models := c.idx.ModelsFor(c.user.Group, c.tok, chat.accept)
	c.answerFree(w, appendModels(make([]byte, 0, 64+len(models)*96), models))
	return nil
}

// answerFree writes a 200 JSON answer the router made itself, at no cost.
func (c *call) answerFree(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h[hdrContentType] = []string{"application/json"}
	h[hdrCost] = []string{"0"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	c.wrote, c.status = true, http.StatusOK
}

func appendOpenAIModels(b []byte, models []string) []byte {
	b = append(b, `{"object":"list","data":[`...)
	for i, m := range models {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = jsonwrite.AppendString(b, m)
		b = append(b, `,"object":"model","created":0,"owned_by":"burncloud"}`...)
	}
	return append(b, "]}\n"...)
}

func appendAnthropicModels(b []byte, models []string) []byte {
	b = append(b, `{"data":[`...)
	for i, m := range models {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"model","id":`...)
		b = jsonwrite.AppendString(b, m)
		b = append(b, `,"display_name":`...)
		b = jsonwrite.AppendString(b, m)
		b = append(b, `,"created_at":"1970-01-01T00:00:00Z"}`...)
	}
	b = append(b, `],"has_more":false`...)
	if len(models) > 0 {
		b = append(b, `,"first_id":`...)
		b = jsonwrite.AppendString(b, models[0])
		b = append(b, `,"last_id":`...)
		b = jsonwrite.AppendString(b, models[len(models)-1])
	} else {
		b = append(b, `,"first_id":null,"last_id":null`...)
	}
	return append(b, "}\n"...)
}

func appendGeminiModels(b []byte, models []string) []byte {
	b = append(b, `{"models":[`...)
	for i, m := range models {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = jsonwrite.AppendString(b, "models/"+m)
		b = append(b, `,"displayName":`...)
		b = jsonwrite.AppendString(b, m)
		b = append(b, `,"supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens"]}`...)
	}
	return append(b, "]}\n"...)
}
