// Package secrets derives BurnCloud's keys from one master secret and uses
// them: API token digests, token generation and display, and authenticated
// encryption of data at rest.
//
// Every subkey is HKDF-SHA256 (RFC 5869) of the master secret with no salt,
// the purpose name as info, and a length of 32 bytes. Sealed data is AES-256-GCM
// under the purpose's subkey: a random 12-byte nonce, then the ciphertext and
// its 16-byte tag. Random nonces limit one subkey to 2^32 sealed messages,
// far above the number of channel keys and snapshot files.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// Purposes, each with its own subkey.
const (
	PurposeTokenDigest   = "token-digest"   // HMAC of API token secrets
	PurposeChannelKey    = "channel-key"    // sealing upstream keys at rest
	PurposeSnapshotCache = "snapshot-cache" // sealing the router's snapshot file
)

// MinMasterLen is the shortest master secret New accepts.
const MinMasterLen = 16

const subkeyLen = 32 // AES-256, and a full SHA-256 block of HMAC key

var (
	ErrShortSecret = fmt.Errorf("secrets: master secret must be at least %d bytes", MinMasterLen)
	ErrPurpose     = errors.New("secrets: purpose cannot seal data")
	ErrDecrypt     = errors.New("secrets: cannot decrypt: wrong key, purpose or associated data, or tampered ciphertext")
)

// Keyring holds the subkeys derived from one master secret. It is safe for
// concurrent use and must not be copied.
type Keyring struct {
	digesters     sync.Pool // *digester, so TokenDigest does not allocate
	channelKey    cipher.AEAD
	snapshotCache cipher.AEAD
}

// digester is a reusable HMAC with room for its input and output.
type digester struct {
	mac   hash.Hash
	chunk [128]byte
	sum   [sha256.Size]byte
}

// New derives the subkeys of master. master is not retained.
func New(master []byte) (*Keyring, error) {
	if len(master) < MinMasterLen {
		return nil, fmt.Errorf("%w (got %d)", ErrShortSecret, len(master))
	}
	digestKey, err := derive(master, PurposeTokenDigest)
	if err != nil {
		return nil, err
	}
	k := &Keyring{}
	k.digesters.New = func() any {
		d := &digester{mac: hmac.New(sha256.New, digestKey)}
		d.mac.Reset() // lets the HMAC keep its padded-key states for later Resets
		return d
	}
	if k.channelKey, err = newAEAD(master, PurposeChannelKey); err != nil {
		return nil, err
	}
	if k.snapshotCache, err = newAEAD(master, PurposeSnapshotCache); err != nil {
		return nil, err
	}
	return k, nil
}

func derive(master []byte, purpose string) ([]byte, error) {
	key, err := hkdf.Key(sha256.New, master, nil, purpose, subkeyLen)
	if err != nil {
		return nil, fmt.Errorf("secrets: derive %s subkey: %w", purpose, err)
	}
	return key, nil
}

func newAEAD(master []byte, purpose string) (cipher.AEAD, error) {
	key, err := derive(master, purpose)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %s cipher: %w", purpose, err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %s cipher: %w", purpose, err)
	}
	return aead, nil
}

func (k *Keyring) aead(purpose string) (cipher.AEAD, error) {
	switch purpose {
	case PurposeChannelKey:
		return k.channelKey, nil
	case PurposeSnapshotCache:
		return k.snapshotCache, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrPurpose, purpose)
}

// Seal encrypts and authenticates plaintext, and authenticates
// additionalData, under the subkey of purpose (PurposeChannelKey or
// PurposeSnapshotCache). The result is nonce ‖ ciphertext ‖ tag.
func (k *Keyring) Seal(purpose string, plaintext, additionalData []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	return aead.Seal(nil, nil, plaintext, additionalData), nil
}

// Open reverses Seal. It fails with ErrDecrypt when the data was sealed under
// another master secret or purpose, with other additional data, or altered.
func (k *Keyring) Open(purpose string, sealed, additionalData []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, nil, sealed, additionalData)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}
