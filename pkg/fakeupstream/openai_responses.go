package fakeupstream

import (
	"strconv"
	"time"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
)

// OpenAI Responses API: a response object with one message output item, or
// a stream of typed events ending in response.completed (or
// response.incomplete when max_output_tokens cut the answer).

func (ex *exchange) responses() {
	var rq oaRequest
	if !ex.parse(&rq) || !ex.admit(rq.Model) {
		return
	}
	words := countWords(rq.Instructions) + wordsIn(rq.Input)
	p := makePlan(&ex.sc, ex.s.opts.DefaultTokens, words, rq.MaxOutputTokens)
	created := time.Now().Unix()
	if rq.Stream {
		ex.responseStream(&rq, &p, created)
		return
	}
	ex.buf = ex.appendResponse(ex.buf[:0], &rq, &p, created, true)
	ex.reply(ex.buf)
}

func appendResponseUsage(b []byte, u usage) []byte {
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(u.prompt), 10)
	b = append(b, `,"input_tokens_details":{"cached_tokens":`...)
	b = strconv.AppendInt(b, int64(u.cached), 10)
	b = append(b, `},"output_tokens":`...)
	b = strconv.AppendInt(b, int64(u.completion), 10)
	b = append(b, `,"output_tokens_details":{"reasoning_tokens":`...)
	b = strconv.AppendInt(b, int64(u.reasoning), 10)
	b = append(b, `},"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.total()), 10)
	return append(b, '}')
}

func (p *plan) responseStatus() string {
	if p.capped {
		return "incomplete"
	}
	return "completed"
}

// appendOutputText appends the output_text content part holding the answer.
func appendOutputText(b []byte, p *plan) []byte {
	b = append(b, `{"type":"output_text","annotations":[],"logprobs":[],"text":"`...)
	b = appendTokens(b, 0, p.tokens)
	return append(b, `"}`...)
}

// appendMessageItem appends the message output item; done says whether it
// is finished (content present) or just added (content empty).
func (ex *exchange) appendMessageItem(b []byte, p *plan, done bool) []byte {
	b = append(b, `{"id":"`...)
	b = ex.appendID(b, "msg_")
	b = append(b, `","type":"message","status":"`...)
	if done {
		b = append(b, p.responseStatus()...)
		b = append(b, `","content":[`...)
		b = appendOutputText(b, p)
	} else {
		b = append(b, `in_progress","content":[`...)
	}
	return append(b, `],"role":"assistant"}`...)
}

// appendResponse appends the response object; final objects carry the
// output and usage, in-progress ones neither.
func (ex *exchange) appendResponse(b []byte, rq *oaRequest, p *plan, created int64, final bool) []byte {
	b = append(b, `{"id":"`...)
	b = ex.appendID(b, "resp_")
	b = append(b, `","object":"response","created_at":`...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"status":"`...)
	switch {
	case !final:
		b = append(b, `in_progress","error":null,"incomplete_details":null`...)
	case p.capped:
		b = append(b, `incomplete","error":null,"incomplete_details":{"reason":"max_output_tokens"}`...)
	default:
		b = append(b, `completed","error":null,"incomplete_details":null`...)
	}
	b = append(b, `,"instructions":`...)
	if rq.Instructions == "" {
		b = append(b, "null"...)
	} else {
		b = jsonwrite.AppendString(b, rq.Instructions)
	}
	b = append(b, `,"max_output_tokens":`...)
	if rq.MaxOutputTokens == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*rq.MaxOutputTokens), 10)
	}
	b = append(b, `,"model":`...)
	b = jsonwrite.AppendString(b, rq.Model)
	b = append(b, `,"output":[`...)
	if final {
		b = ex.appendMessageItem(b, p, true)
	}
	b = append(b, `],"parallel_tool_calls":true,"previous_response_id":null,"store":false,"temperature":1,`+
		`"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1,"truncation":"disabled","usage":`...)
	if final && p.mode != usageNone {
		b = appendResponseUsage(b, p.u)
	} else {
		b = append(b, "null"...)
	}
	return append(b, `,"metadata":{}}`...)
}

var malformedResponseEvent = []byte("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\n\n")

// responseEvents renders typed events with increasing sequence numbers.
type responseEvents struct {
	seq int
}

// open appends `event: typ` and the data line up to the first field.
func (re *responseEvents) open(b []byte, typ string) []byte {
	b = append(b, "event: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: {\"type\":\""...)
	b = append(b, typ...)
	b = append(b, `","sequence_number":`...)
	b = strconv.AppendInt(b, int64(re.seq), 10)
	re.seq++
	return append(b, ',')
}

func closeEvent(b []byte) []byte { return append(b, "}\n\n"...) }

// appendPartRef appends the item, output and content indexes of the text part.
func (ex *exchange) appendPartRef(b []byte) []byte {
	b = append(b, `"item_id":"`...)
	b = ex.appendID(b, "msg_")
	return append(b, `","output_index":0,"content_index":0,`...)
}

func (ex *exchange) responseStream(rq *oaRequest, p *plan, created int64) {
	st := ex.openStream(malformedResponseEvent)
	var re responseEvents
	b := ex.buf[:0]
	defer func() { ex.buf = b }()

	for _, typ := range [...]string{"response.created", "response.in_progress"} {
		b = re.open(b[:0], typ)
		b = append(b, `"response":`...)
		b = ex.appendResponse(b, rq, p, created, false)
		if !st.event(closeEvent(b)) {
			return
		}
	}
	b = re.open(b[:0], "response.output_item.added")
	b = append(b, `"output_index":0,"item":`...)
	b = ex.appendMessageItem(b, p, false)
	if !st.event(closeEvent(b)) {
		return
	}
	b = re.open(b[:0], "response.content_part.added")
	b = ex.appendPartRef(b)
	b = append(b, `"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}`...)
	if !st.event(closeEvent(b)) || !st.begin() {
		return
	}
	for k := range p.chunks {
		from, to := p.span(k)
		b = re.open(b[:0], "response.output_text.delta")
		b = ex.appendPartRef(b)
		b = append(b, `"delta":"`...)
		b = appendTokens(b, from, to)
		b = append(b, `","logprobs":[]`...)
		if !st.content(closeEvent(b)) {
			return
		}
	}
	b = re.open(b[:0], "response.output_text.done")
	b = ex.appendPartRef(b)
	b = append(b, `"text":"`...)
	b = appendTokens(b, 0, p.tokens)
	b = append(b, `","logprobs":[]`...)
	if !st.event(closeEvent(b)) {
		return
	}
	b = re.open(b[:0], "response.content_part.done")
	b = ex.appendPartRef(b)
	b = append(b, `"part":`...)
	b = appendOutputText(b, p)
	if !st.event(closeEvent(b)) {
		return
	}
	b = re.open(b[:0], "response.output_item.done")
	b = append(b, `"output_index":0,"item":`...)
	b = ex.appendMessageItem(b, p, true)
	if !st.event(closeEvent(b)) {
		return
	}
	final := "response.completed"
	if p.capped {
		final = "response.incomplete"
	}
	b = re.open(b[:0], final)
	b = append(b, `"response":`...)
	b = ex.appendResponse(b, rq, p, created, true)
	st.event(closeEvent(b))
}
