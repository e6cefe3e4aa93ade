package secrets

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
)

// TokenPrefix starts every generated API token secret.
const TokenPrefix = "sk-bc-"

// TokenRandomLen is the number of random base62 characters after TokenPrefix:
// 43 × log2(62) ≈ 256 bits.
const TokenRandomLen = 43

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Display limits: at most this much of either end of a secret is shown.
const (
	displayPrefixLen = 10
	displaySuffixLen = 4
	minShownLen      = 12 // shorter secrets are shown as "***"
)

// Token is a newly generated API token. Secret is shown once and never
// stored; Prefix and Last4 are kept for display.
type Token struct {
	Secret string
	Prefix string
	Last4  string
}

// NewToken generates a token secret from crypto/rand.
func NewToken() (Token, error) { return newToken(rand.Reader) }

func newToken(random io.Reader) (Token, error) {
	buf := make([]byte, len(TokenPrefix), len(TokenPrefix)+TokenRandomLen)
	copy(buf, TokenPrefix)
	var pool [64]byte
	for len(buf) < cap(buf) {
		if _, err := io.ReadFull(random, pool[:]); err != nil {
			return Token{}, fmt.Errorf("secrets: generate token: %w", err)
		}
		for _, b := range pool {
			// 248 = 4 × 62: rejecting the rest keeps every character equally likely.
			if b < 248 && len(buf) < cap(buf) {
				buf = append(buf, base62[b%62])
			}
		}
	}
	return Describe(string(buf)), nil
}

// Describe returns secret with its display prefix and suffix, for secrets
// chosen by an operator instead of NewToken. Together they reveal at most
// half of the secret and nothing of one shorter than 12 characters.
func Describe(secret string) Token {
	t := Token{Secret: secret}
	if n := len(secret); n >= minShownLen {
		t.Prefix = secret[:min(displayPrefixLen, n/4)]
		t.Last4 = secret[n-min(displaySuffixLen, n/4):]
	}
	return t
}

// Mask shows a secret (an API token or an upstream key) for display, e.g.
// "sk-bc-Ab3x...9fQz".
func Mask(secret string) string {
	t := Describe(secret)
	if t.Prefix == "" {
		return "***"
	}
	return t.Prefix + "..." + t.Last4
}

// Equal compares two secrets in constant time. Both are hashed first so that
// neither the length nor the content of the expected secret leaks through
// timing.
func Equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
