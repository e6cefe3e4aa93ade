package limits

import (
	"strconv"
	"strings"
)

// userKeys are the two keys of a user: the counters' hash and the sorted
// set of admissions in flight. Both carry the hash tag {user}.
func userKeys(prefix, user string) []string {
	base := prefix + "{" + escapeTag(user) + "}:"
	return []string{base + "s", base + "a"}
}

// escapeTag keeps a user name from ending the hash tag early or merging
// with another name: braces and the escape character are percent-encoded.
func escapeTag(s string) string {
	if !strings.ContainsAny(s, "{}%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '{', '}', '%':
			b.WriteByte('%')
			b.WriteString(strconv.FormatUint(uint64(c), 16))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// member is an admission's entry in the sorted set; it carries what a
// release must undo, so any router (or the expiry sweep in the script)
// can release it: id|conc-mask tpm-mask[slots]|est|reserved-token|reserved-user|token-scope|model-scope.
// slots, the concurrency slots held, is left out when it is one (a
// request); a grant holds many (grant.go). The model scope is last because
// a model name may contain '|'.
func member(id string, t *grantTerms, k grantKey, slots, est, reserveToken, reserveUser int64) string {
	b := make([]byte, 0, 72+len(id)+len(k.model))
	b = append(b, id...)
	b = append(b, '|')
	for _, l := range [...]Limits{t.tok, t.user, t.model} {
		b = append(b, bit(l.MaxConcurrency > 0))
	}
	for _, l := range [...]Limits{t.tok, t.user, t.model} {
		b = append(b, bit(l.TPM > 0))
	}
	if slots != 1 {
		b = strconv.AppendInt(b, slots, 10)
	}
	b = append(b, '|')
	b = strconv.AppendInt(b, est, 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, reserveToken, 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, reserveUser, 10)
	b = append(b, "|t"...)
	b = strconv.AppendInt(b, k.token, 10)
	b = append(b, "|m"...)
	b = append(b, k.model...)
	return string(b)
}

func bit(on bool) byte {
	if on {
		return '1'
	}
	return '0'
}
