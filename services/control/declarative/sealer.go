package declarative

import (
	"encoding/hex"

	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/pkg/store"
)

// Sealer is what Apply needs from the deployment's keyring. KeyringSealer is
// the implementation; tests use a fake.
type Sealer interface {
	// KeyID fingerprints an upstream key: equal keys get equal ids and
	// different keys different ids (with overwhelming probability), and the
	// id reveals nothing about the key without the keyring. It is the
	// store.SealedKey.ID of that key, which is how Apply tells whether a
	// channel's keys changed without decrypting them.
	KeyID(key string) string
	// SealKey encrypts an upstream key of a channel. The result's ID must be
	// KeyID(key); Masked is its display form.
	SealKey(channel, key string) (store.SealedKey, error)
	// TokenDigest is the digest the store keeps of a token secret.
	TokenDigest(secret string) []byte
}

// keyIDDomain separates key ids from token digests, which share the
// token-digest subkey: a token secret is printable ASCII and so never starts
// with a NUL byte.
const keyIDDomain = "\x00channel-key-id\x00"

// keyIDLen is the number of digest bytes in a key id (hex encoded: twice as
// many characters); 64 bits keep the keys of one channel apart.
const keyIDLen = 8

// KeyringSealer implements Sealer with a *secrets.Keyring. It is the one
// definition of how channel keys are sealed, so that keys written by the
// admin API and by Apply compare equal:
//
//   - ID: the first 8 bytes, hex, of HMAC-SHA256 under the token-digest
//     subkey of "\x00channel-key-id\x00" followed by the key.
//   - Sealed: AES-GCM under the channel-key subkey with the channel's name as
//     associated data, so a sealed key only opens for its own channel.
//   - Masked: secrets.Mask of the key.
type KeyringSealer struct {
	k *secrets.Keyring
}

// NewKeyringSealer returns a Sealer using k.
func NewKeyringSealer(k *secrets.Keyring) *KeyringSealer { return &KeyringSealer{k: k} }

// KeyID implements Sealer.
func (s *KeyringSealer) KeyID(key string) string {
	d := s.k.TokenDigest(keyIDDomain + key)
	return hex.EncodeToString(d[:keyIDLen])
}

// SealKey implements Sealer.
func (s *KeyringSealer) SealKey(channel, key string) (store.SealedKey, error) {
	sealed, err := s.k.Seal(secrets.PurposeChannelKey, []byte(key), []byte(channel))
	if err != nil {
		return store.SealedKey{}, err
	}
	return store.SealedKey{ID: s.KeyID(key), Sealed: sealed, Masked: secrets.Mask(key)}, nil
}

// OpenKey decrypts a key sealed by SealKey for channel.
func (s *KeyringSealer) OpenKey(channel string, k store.SealedKey) (string, error) {
	plain, err := s.k.Open(secrets.PurposeChannelKey, k.Sealed, []byte(channel))
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// TokenDigest implements Sealer.
func (s *KeyringSealer) TokenDigest(secret string) []byte {
	d := s.k.TokenDigest(secret)
	return d[:]
}
