package fakeupstream

import (
	"bytes"
	"time"
)

// Under the timing option a whole OpenAI chat or text completion carries the
// fake's own time for the request (from its handler's start to the answer's
// first byte, the scenario's latency included) in its fingerprint:
//
//	"system_fingerprint":"fp_fake_t000020104311"
//
// twelve decimal digits of nanoseconds, so the body's length does not depend
// on the value. A gateway that passes the body on unchanged passes it on too,
// which lets a benchmark take each request's upstream time out of the latency
// its client saw.
const (
	stampPrefix = "_t"
	stampZeros  = "000000000000"
)

var stampKey = []byte(`"system_fingerprint":"fp_fake` + stampPrefix)

// putStamp writes d into dst as len(dst) decimal digits, saturating.
func putStamp(dst []byte, d time.Duration) {
	n := max(int64(d), 0)
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + n%10)
		n /= 10
	}
	if n > 0 {
		for i := range dst {
			dst[i] = '9'
		}
	}
}

// ServiceTime reads the timing stamp from the start of an answer (see the
// timing option). It reports false when body has none, or a damaged one.
func ServiceTime(body []byte) (time.Duration, bool) {
	i := bytes.Index(body, stampKey)
	if i < 0 {
		return 0, false
	}
	digits := body[i+len(stampKey):]
	if len(digits) < len(stampZeros)+1 || digits[len(stampZeros)] != '"' {
		return 0, false
	}
	var n int64
	for _, c := range digits[:len(stampZeros)] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return time.Duration(n), true
}
