package declarative

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/burncloud/burncloud/pkg/secrets"
)

func newKeyringSealer(t *testing.T, master string) *KeyringSealer {
	t.Helper()
	k, err := secrets.New([]byte(master))
	if err != nil {
		t.Fatal(err)
	}
	return NewKeyringSealer(k)
}

func TestKeyringSealer(t *testing.T) {
	s := newKeyringSealer(t, "test-master-secret-0123456789")
	const key = "sk-proj-upstream-key-0123456789"

	id := s.KeyID(key)
	if len(id) != 2*keyIDLen || id != s.KeyID(key) {
		t.Errorf("KeyID = %q, want %d stable hex digits", id, 2*keyIDLen)
	}
	if s.KeyID(key+"x") == id {
		t.Errorf("different keys share an id")
	}
	if other := newKeyringSealer(t, "another-master-secret-012345"); other.KeyID(key) == id {
		t.Errorf("key ids do not depend on the master secret")
	}
	if bytes.Equal(s.TokenDigest(key)[:keyIDLen], mustHex(t, id)) {
		t.Errorf("a key id equals a prefix of the token digest of the same string")
	}

	sealed, err := s.SealKey("openai-main", key)
	if err != nil {
		t.Fatal(err)
	}
	if sealed.ID != id || sealed.Masked != secrets.Mask(key) || bytes.Contains(sealed.Sealed, []byte(key)) {
		t.Errorf("sealed = %+v", sealed)
	}
	if got, err := s.OpenKey("openai-main", sealed); err != nil || got != key {
		t.Errorf("OpenKey = %q, %v", got, err)
	}
	if _, err := s.OpenKey("other-channel", sealed); !errors.Is(err, secrets.ErrDecrypt) {
		t.Errorf("a sealed key opened for another channel: %v", err)
	}
	if d, want := s.TokenDigest("sk-bc-token"), newKeyringDigest(t, "test-master-secret-0123456789", "sk-bc-token"); !bytes.Equal(d, want) {
		t.Errorf("TokenDigest differs from the keyring's")
	}
}

func newKeyringDigest(t *testing.T, master, secret string) []byte {
	t.Helper()
	k, err := secrets.New([]byte(master))
	if err != nil {
		t.Fatal(err)
	}
	d := k.TokenDigest(secret)
	return d[:]
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Apply with the real keyring: the second apply reuses the key ids.
func TestApplyWithKeyringSealer(t *testing.T) {
	tx, s := newFakeTx(), newKeyringSealer(t, "test-master-secret-0123456789")
	f := mustParse(t, readFile(t, "testdata/full.yaml"))
	if _, err := Apply(context.Background(), tx, f, Options{}, s); err != nil {
		t.Fatal(err)
	}
	for _, k := range tx.channels["openai-main"].Keys {
		if _, err := s.OpenKey("openai-main", k); err != nil {
			t.Errorf("stored key %s does not open: %v", k.ID, err)
		}
	}
	res, err := Apply(context.Background(), tx, mustParse(t, readFile(t, "testdata/full.yaml")), Options{}, s)
	if err != nil || len(res.Changes) != 0 {
		t.Errorf("second apply: %v, %v", changeLines(res.Changes), err)
	}
}
