package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrDigestSyntax reports a string that is not 64 hex digits.
var ErrDigestSyntax = errors.New("secrets: digest must be 64 hex digits")

// Digest is HMAC-SHA256 of a token secret under the token-digest subkey: what
// the store keeps instead of the secret.
type Digest [sha256.Size]byte

// TokenDigest returns the digest of a token secret. It runs on every request
// and does not allocate.
func (k *Keyring) TokenDigest(secret string) Digest {
	d := k.digesters.Get().(*digester)
	d.mac.Reset()
	// The secret goes through a fixed buffer: converting the string to a
	// []byte for Write would allocate.
	for len(secret) > 0 {
		n := copy(d.chunk[:], secret)
		d.mac.Write(d.chunk[:n])
		secret = secret[n:]
	}
	out := Digest(d.mac.Sum(d.sum[:0]))
	clear(d.chunk[:])
	k.digesters.Put(d)
	return out
}

// String returns the digest as 64 lower-case hex digits.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// ParseDigest reads the form String writes (either case).
func ParseDigest(s string) (Digest, error) {
	var d Digest
	if len(s) != hex.EncodedLen(len(d)) {
		return Digest{}, fmt.Errorf("%w: got %d characters", ErrDigestSyntax, len(s))
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return Digest{}, fmt.Errorf("%w: %v", ErrDigestSyntax, err)
	}
	return d, nil
}
