package fakeupstream

import (
	"strconv"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
)

var malformedAnthropicEvent = []byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\n\n")

// anEvents renders Anthropic's named events.
type anEvents struct{}

// open appends `event: typ` and the data line up to the first field after type.
func (anEvents) open(b []byte, typ string) []byte {
	b = append(b, "event: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: {\"type\":\""...)
	b = append(b, typ...)
	return append(b, `"`...)
}

func (e anEvents) block(b []byte, typ string, index int) []byte {
	b = e.open(b, typ)
	b = append(b, `,"index":`...)
	return strconv.AppendInt(b, int64(index), 10)
}

// messageStream sends message_start, an optional thinking block, the text
// or tool_use block with ping after its start, message_delta and message_stop.
func (ex *exchange) messageStream(rq *anRequest, p *plan, tool string) {
	st := ex.openStream(malformedAnthropicEvent)
	var e anEvents
	b := ex.buf[:0]
	defer func() { ex.buf = b }()

	b = e.open(b[:0], "message_start")
	b = append(b, `,"message":{"id":"`...)
	b = ex.appendID(b, "msg_")
	b = append(b, `","type":"message","role":"assistant","model":`...)
	b = jsonwrite.AppendString(b, rq.Model)
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null`...)
	if p.mode != usageNone {
		first := 1
		if p.mode == usageZero {
			first = 0
		}
		b = append(b, `,"usage":`...)
		b = appendAnthropicUsage(b, p.u, first)
	}
	if !st.event(closeEvent(append(b, '}'))) {
		return
	}
	index := 0
	if ex.sc.ReasoningTokens > 0 {
		b = e.block(b[:0], "content_block_start", index)
		b = append(b, `,"content_block":{"type":"thinking","thinking":"","signature":""}`...)
		if !st.event(closeEvent(b)) {
			return
		}
		b = e.block(b[:0], "content_block_delta", index)
		b = append(b, `,"delta":{"type":"thinking_delta","thinking":"`...)
		b = appendTokens(b, 0, min(ex.sc.ReasoningTokens, maxThinkingWords))
		if !st.event(closeEvent(append(b, `"}`...))) {
			return
		}
		b = e.block(b[:0], "content_block_delta", index)
		b = append(b, `,"delta":{"type":"signature_delta","signature":"`...)
		b = ex.appendID(b, "sig_")
		if !st.event(closeEvent(append(b, `"}`...))) {
			return
		}
		if !st.event(closeEvent(e.block(b[:0], "content_block_stop", index))) {
			return
		}
		index++
	}
	b = e.block(b[:0], "content_block_start", index)
	if tool == "" {
		b = append(b, `,"content_block":{"type":"text","text":""}`...)
	} else {
		b = append(b, `,"content_block":`...)
		b = ex.appendToolUse(b, tool)
	}
	if !st.event(closeEvent(b)) || !st.event(closeEvent(e.open(b[:0], "ping"))) {
		return
	}
	if p.chunks == 0 && tool != "" {
		b = e.block(b[:0], "content_block_delta", index)
		b = append(b, `,"delta":{"type":"input_json_delta","partial_json":"`+toolArgsOpen+toolArgsClose+`"}`...)
		if !st.event(closeEvent(b)) {
			return
		}
	}
	if !st.begin() {
		return
	}
	for k := range p.chunks {
		from, to := p.span(k)
		b = e.block(b[:0], "content_block_delta", index)
		if tool == "" {
			b = append(b, `,"delta":{"type":"text_delta","text":"`...)
			b = appendTokens(b, from, to)
		} else {
			b = append(b, `,"delta":{"type":"input_json_delta","partial_json":"`...)
			if k == 0 {
				b = append(b, toolArgsOpen...)
			}
			b = appendTokens(b, from, to)
			if k == p.chunks-1 {
				b = append(b, toolArgsClose...)
			}
		}
		if !st.content(closeEvent(append(b, `"}`...))) {
			return
		}
	}
	if !st.event(closeEvent(e.block(b[:0], "content_block_stop", index))) {
		return
	}
	b = e.open(b[:0], "message_delta")
	b = append(b, `,"delta":{"stop_reason":"`...)
	b = append(b, p.stopReason(tool != "")...)
	b = append(b, `","stop_sequence":null}`...)
	if p.mode != usageNone {
		b = append(b, `,"usage":`...)
		b = appendAnthropicUsage(b, p.u, p.u.completion)
	}
	if !st.event(closeEvent(b)) {
		return
	}
	st.event(closeEvent(e.open(b[:0], "message_stop")))
}
