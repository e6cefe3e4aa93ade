package fakeupstream

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
)

// OpenAI legacy text completions and embeddings.

const maxEmbeddingInputs = 2048

func (ex *exchange) completions() {
	var rq oaRequest
	if !ex.parse(&rq) || !ex.admit(rq.Model) {
		return
	}
	p := makePlan(&ex.sc, ex.s.opts.DefaultTokens, wordsIn(rq.Prompt), rq.MaxTokens)
	created := time.Now().Unix()
	if rq.Stream {
		ex.completionStream(&rq, &p, created)
		return
	}
	b := ex.appendChunkHead(ex.buf[:0], "cmpl-", "text_completion", rq.Model, created, true)
	b = append(b, `{"text":"`...)
	b = appendTokens(b, 0, p.tokens)
	b = append(b, `","index":0,"logprobs":null,"finish_reason":"`...)
	b = append(b, p.finish(false)...)
	b = append(b, `"}]`...)
	if p.mode != usageNone {
		b = append(b, `,"usage":`...)
		b = appendChatUsage(b, p.u)
	}
	ex.buf = append(b, '}')
	ex.reply(ex.buf)
}

var malformedCompletionChunk = []byte("data: {\"id\":\"cmpl-broken\",\"object\":\"text_completion\",\"choices\":[{\"text\":\n\n")

func (ex *exchange) completionStream(rq *oaRequest, p *plan, created int64) {
	includeUsage := rq.includeUsage()
	st := ex.openStream(malformedCompletionChunk)
	b := append(ex.buf[:0], "data: "...)
	b = ex.appendChunkHead(b, "cmpl-", "text_completion", rq.Model, created, false)
	head := len(b)
	defer func() { ex.buf = b }()
	end := func(b []byte) []byte {
		b = append(b, ']')
		if includeUsage {
			b = append(b, `,"usage":null`...)
		}
		return append(b, "}\n\n"...)
	}
	if !st.begin() {
		return
	}
	for k := range p.chunks {
		from, to := p.span(k)
		b = append(b[:head], `{"text":"`...)
		b = appendTokens(b, from, to)
		b = append(b, `","index":0,"logprobs":null,"finish_reason":null}`...)
		if b = end(b); !st.content(b) {
			return
		}
	}
	b = append(b[:head], `{"text":"","index":0,"logprobs":null,"finish_reason":"`...)
	b = append(b, p.finish(false)...)
	b = append(b, `"}`...)
	if b = end(b); !st.event(b) {
		return
	}
	if includeUsage && p.mode != usageNone {
		b = append(b[:head], `],"usage":`...)
		b = appendChatUsage(b, p.u)
		b = append(b, "}\n\n"...)
		if !st.event(b) {
			return
		}
	}
	st.event(append(b[:0], "data: [DONE]\n\n"...))
}

// embeddingValue is component j of vector i: deterministic, in [-1, 1],
// with three decimals so float text stays short.
func embeddingValue(i, j int) float32 {
	return float32((i*7919+j*104729)%2001-1000) / 1000
}

func (ex *exchange) embeddings() {
	var rq oaRequest
	if !ex.parse(&rq) {
		return
	}
	n := vectorCount(rq.Input)
	switch {
	case n == 0:
		ex.fail(http.StatusBadRequest, "'input' must be a non-empty string or array")
		return
	case n > maxEmbeddingInputs:
		ex.fail(http.StatusBadRequest, "'input' has more than 2048 items")
		return
	case rq.Dimensions < 0 || rq.Dimensions > maxDimensions:
		ex.fail(http.StatusBadRequest, "'dimensions' out of range")
		return
	case rq.EncodingFormat != "" && rq.EncodingFormat != "float" && rq.EncodingFormat != "base64":
		ex.fail(http.StatusBadRequest, "'encoding_format' must be float or base64")
		return
	}
	if !ex.admit(rq.Model) {
		return
	}
	dims := rq.Dimensions
	if dims == 0 {
		dims = ex.s.opts.EmbeddingDimensions
	}
	b64 := rq.EncodingFormat == "base64"
	var raw []byte
	if b64 {
		raw = make([]byte, 4*dims)
	}
	b := append(ex.buf[:0], `{"object":"list","data":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		if b64 {
			for j := range dims {
				binary.LittleEndian.PutUint32(raw[4*j:], math.Float32bits(embeddingValue(i, j)))
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"')
		} else {
			b = append(b, '[')
			for j := range dims {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, float64(embeddingValue(i, j)), 'f', -1, 32)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = jsonwrite.AppendString(b, rq.Model)
	p := makePlan(&ex.sc, 0, wordsIn(rq.Input), nil)
	if p.mode != usageNone {
		b = append(b, `,"usage":{"prompt_tokens":`...)
		b = strconv.AppendInt(b, int64(p.u.prompt), 10)
		b = append(b, `,"total_tokens":`...)
		b = strconv.AppendInt(b, int64(p.u.prompt), 10)
		b = append(b, '}')
	}
	ex.buf = append(b, '}')
	ex.reply(ex.buf)
}
