package fakeupstream

import (
	"net/http"
	"strconv"
)

// Gemini embeddings. Vectors are the same deterministic values the OpenAI
// endpoint returns (vector i of a batch is embeddingValue(i, ·)), of
// outputDimensionality or Options.EmbeddingDimensions components. Google
// reports no usage for embeddings, so neither does the fake.

// embedRequestError checks one EmbedContentRequest; "" when it is fine.
// model is the one in the URL; batch items must name it.
func embedRequestError(rq *gemRequest, model string, inBatch bool) string {
	switch {
	case inBatch && rq.Model != "models/"+model:
		return "Model in the request (" + rq.Model + ") does not match the model in the URL (models/" + model + ")."
	case rq.Content == nil || len(rq.Content.Parts) == 0:
		return "* EmbedContentRequest.content: contents is not specified"
	case rq.dimensions() < 0 || rq.dimensions() > maxDimensions:
		return "* EmbedContentRequest.output_dimensionality: out of range"
	}
	return ""
}

func (ex *exchange) appendEmbedding(b []byte, i int, rq *gemRequest) []byte {
	dims := rq.dimensions()
	if dims == 0 {
		dims = ex.s.opts.EmbeddingDimensions
	}
	b = append(b, `{"values":[`...)
	for j := range dims {
		if j > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(embeddingValue(i, j)), 'f', -1, 32)
	}
	return append(b, "]}"...)
}

func (ex *exchange) embedContent(model string) {
	var rq gemRequest
	if !ex.parseGemini(&rq) {
		return
	}
	if msg := embedRequestError(&rq, model, false); msg != "" {
		ex.fail(http.StatusBadRequest, msg)
		return
	}
	if !ex.admit(model) {
		return
	}
	b := append(ex.buf[:0], `{"embedding":`...)
	b = ex.appendEmbedding(b, 0, &rq)
	ex.buf = append(b, '}')
	ex.reply(ex.buf)
}

func (ex *exchange) batchEmbedContents(model string) {
	var rq gemRequest
	if !ex.parseGemini(&rq) {
		return
	}
	switch n := len(rq.Requests); {
	case n == 0:
		ex.fail(http.StatusBadRequest, "* BatchEmbedContentsRequest.requests: requests is not specified")
		return
	case n > maxGeminiBatch:
		ex.fail(http.StatusBadRequest, "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch")
		return
	}
	for i := range rq.Requests {
		if msg := embedRequestError(&rq.Requests[i], model, true); msg != "" {
			ex.fail(http.StatusBadRequest, "requests["+strconv.Itoa(i)+"]: "+msg)
			return
		}
	}
	if !ex.admit(model) {
		return
	}
	b := append(ex.buf[:0], `{"embeddings":[`...)
	for i := range rq.Requests {
		if i > 0 {
			b = append(b, ',')
		}
		b = ex.appendEmbedding(b, i, &rq.Requests[i])
	}
	ex.buf = append(b, "]}"...)
	ex.reply(ex.buf)
}
