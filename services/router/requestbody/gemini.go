package requestbody

import "github.com/burncloud/burncloud/pkg/jsonscan"

// ParseGemini reads a Gemini request body (generateContent, countTokens,
// embedContent…), which names its model in the URL rather than the body:
// it checks that the body is one JSON object and reads
// generationConfig.maxOutputTokens. The result's Model is empty and its
// body is never rewritten.
func ParseGemini(body []byte) (Request, error) {
	var r Request
	open := jsonscan.SkipSpace(body, 0)
	if open >= len(body) || body[open] != '{' {
		return r, fieldErr("", "must be a JSON object")
	}
	w := newWalker(body, open)
	seen := false
	for m, ok := w.next(); ok; m, ok = w.next() {
		key, ok := unescape(m.key)
		if !ok {
			return r, fieldErr("", "has a malformed key")
		}
		if string(key) != "generationConfig" && string(key) != "generation_config" {
			continue
		}
		if seen {
			return r, fieldErr("generationConfig", "appears more than once")
		}
		seen = true
		n, err := readMaxOutput(body, m.valStart, m.valEnd)
		if err != nil {
			return r, err
		}
		r.MaxOutputTokens = n
	}
	if w.bad {
		return r, fieldErr("", "is not valid JSON")
	}
	if jsonscan.SkipSpace(body, w.end) != len(body) {
		return r, fieldErr("", "has data after the JSON object")
	}
	return r, nil
}

func readMaxOutput(body []byte, start, end int) (int64, error) {
	v := body[start:end]
	if string(v) == "null" {
		return 0, nil
	}
	if v[0] != '{' {
		return 0, fieldErr("generationConfig", "must be an object")
	}
	w := newWalker(body, start)
	var n int64
	seen := false
	for m, ok := w.next(); ok; m, ok = w.next() {
		key, ok := unescape(m.key)
		if !ok {
			return 0, fieldErr("generationConfig", "has a malformed key")
		}
		if string(key) != "maxOutputTokens" && string(key) != "max_output_tokens" {
			continue
		}
		if seen {
			return 0, fieldErr("generationConfig.maxOutputTokens", "appears more than once")
		}
		seen = true
		n = readCount(body[m.valStart:m.valEnd])
	}
	if w.bad {
		return 0, fieldErr("generationConfig", "is not valid JSON")
	}
	return n, nil
}
