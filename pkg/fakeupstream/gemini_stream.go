package fakeupstream

import "net/http"

// Gemini streams: the chunks described in gemini.go, framed as SSE
// ("data: {...}\r\n\r\n", with ?alt=sse) or as the elements of one JSON
// array sent piece by piece (without alt=sse).

var (
	malformedGeminiEvent   = []byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\r\n\r\n")
	malformedGeminiElement = []byte(",\r\n{\"candidates\":[{\"content\":{\"parts\":[{\"text\":")
)

// gemFrame wraps each chunk as an SSE event or an array element.
type gemFrame struct {
	sse bool
	n   int // array elements opened
}

// head opens a chunk up to the candidate's parts list.
func (f *gemFrame) head(b []byte) []byte {
	switch {
	case f.sse:
		b = append(b, "data: "...)
	case f.n > 0:
		b = append(b, ",\r\n"...)
	}
	f.n++
	return append(b, `{"candidates":[{"content":{"parts":[`...)
}

// tail closes a chunk: the final one carries finishReason and the complete
// usage, the others the prompt-side usage.
func (ex *exchange) geminiChunkTail(b []byte, f *gemFrame, p *plan, model string, final bool) []byte {
	b = append(b, `],"role":"model"}`...)
	if final {
		b = append(b, `,"finishReason":"`...)
		b = append(b, p.geminiFinish()...)
		b = append(b, '"')
	}
	b = append(b, `,"index":0}]`...)
	if p.mode != usageNone {
		b = append(b, `,"usageMetadata":`...)
		if final {
			b = appendGeminiUsage(b, p.u)
		} else {
			b = appendGeminiPartialUsage(b, p.u)
		}
	}
	b = ex.appendGeminiTail(b, model)
	b = append(b, '}')
	if f.sse {
		b = append(b, "\r\n\r\n"...)
	}
	return b
}

func (ex *exchange) streamGenerateContent(model string) {
	var rq gemRequest
	if !ex.generateRequest(&rq, model) {
		return
	}
	p := makePlan(&ex.sc, ex.s.opts.DefaultTokens, rq.promptWords(), rq.maxOutputTokens())
	calls := rq.pickFunctions(&ex.sc)
	f := gemFrame{sse: ex.r.URL.Query().Get("alt") == "sse"}
	var st *sse
	b := ex.buf[:0]
	defer func() { ex.buf = b }()
	if f.sse {
		st = ex.openStream(malformedGeminiEvent)
	} else {
		h := ex.w.Header()
		h["Content-Type"] = []string{"application/json; charset=UTF-8"}
		ex.w.WriteHeader(http.StatusOK)
		ex.started = true
		st = &sse{ex: ex, rc: http.NewResponseController(ex.w), malformed: malformedGeminiElement}
		if b = append(b[:0], '['); !st.event(b) {
			return
		}
	}
	if ex.sc.ReasoningTokens > 0 {
		b = appendThoughtPart(f.head(b[:0]), ex.sc.ReasoningTokens)
		if b = ex.geminiChunkTail(b, &f, &p, model, false); !st.event(b) {
			return
		}
	}
	if !st.begin() {
		return
	}
	if len(calls) > 0 {
		b = appendFunctionCalls(f.head(b[:0]), calls, &p)
		if b = ex.geminiChunkTail(b, &f, &p, model, false); !st.content(b) {
			return
		}
	} else {
		for k := range p.chunks {
			from, to := p.span(k)
			b = append(f.head(b[:0]), `{"text":"`...)
			b = append(appendTokens(b, from, to), `"}`...)
			if b = ex.geminiChunkTail(b, &f, &p, model, false); !st.content(b) {
				return
			}
		}
	}
	b = append(f.head(b[:0]), `{"text":""}`...)
	if b = ex.geminiChunkTail(b, &f, &p, model, true); !st.event(b) {
		return
	}
	if !f.sse {
		b = append(b[:0], ']')
		st.event(b)
	}
}
