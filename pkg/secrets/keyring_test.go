package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

var testMaster = []byte("0123456789abcdef-test-master-secret")

func newTestKeyring(t testing.TB, master []byte) *Keyring {
	t.Helper()
	k, err := New(master)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k
}

// hkdfSHA256 follows RFC 5869 §2.2–2.3 step by step with crypto/hmac, to check
// the keyring's derivation independently of crypto/hkdf.
func hkdfSHA256(ikm, salt []byte, info string, length int) []byte {
	if len(salt) == 0 {
		salt = make([]byte, sha256.Size)
	}
	extract := hmac.New(sha256.New, salt)
	extract.Write(ikm)
	prk := extract.Sum(nil)

	var okm, prev []byte
	for i := byte(1); len(okm) < length; i++ {
		expand := hmac.New(sha256.New, prk)
		expand.Write(prev)
		expand.Write([]byte(info))
		expand.Write([]byte{i})
		prev = expand.Sum(nil)
		okm = append(okm, prev...)
	}
	return okm[:length]
}

func TestHKDFHelperMatchesRFC5869(t *testing.T) {
	// RFC 5869 appendix A.3: SHA-256, zero-length salt and info.
	ikm := bytes.Repeat([]byte{0x0b}, 22)
	want := "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
	if got := hex.EncodeToString(hkdfSHA256(ikm, nil, "", 42)); got != want {
		t.Fatalf("helper OKM = %s, want %s", got, want)
	}
}

func TestSubkeysKnownAnswer(t *testing.T) {
	k := newTestKeyring(t, testMaster)

	digestKey := hkdfSHA256(testMaster, nil, PurposeTokenDigest, 32)
	mac := hmac.New(sha256.New, digestKey)
	mac.Write([]byte("sk-bc-known-answer"))
	if got, want := k.TokenDigest("sk-bc-known-answer"), Digest(mac.Sum(nil)); got != want {
		t.Fatalf("TokenDigest = %s, want %s", got, want)
	}

	for _, purpose := range []string{PurposeChannelKey, PurposeSnapshotCache} {
		key := hkdfSHA256(testMaster, nil, purpose, 32)
		block, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			t.Fatal(err)
		}
		plain, ad := []byte("upstream-key"), []byte("channel/7")

		sealed, err := k.Seal(purpose, plain, ad)
		if err != nil {
			t.Fatalf("Seal(%s): %v", purpose, err)
		}
		nonce, body := sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():]
		if got, err := gcm.Open(nil, nonce, body, ad); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: independent key cannot open the keyring's seal: %v", purpose, err)
		}

		nonce = make([]byte, gcm.NonceSize())
		rand.Read(nonce)
		theirs := gcm.Seal(append([]byte(nil), nonce...), nonce, plain, ad)
		if got, err := k.Open(purpose, theirs, ad); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: keyring cannot open an independent seal: %v", purpose, err)
		}
	}
}

func TestNewMasterLength(t *testing.T) {
	tests := []struct {
		n   int
		err error
	}{{0, ErrShortSecret}, {15, ErrShortSecret}, {16, nil}, {64, nil}}
	for _, tt := range tests {
		_, err := New(bytes.Repeat([]byte{'x'}, tt.n))
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("New(%d bytes) error = %v, want %v", tt.n, err, tt.err)
		}
		if err != nil && !strings.Contains(err.Error(), "16 bytes") {
			t.Errorf("error %q does not say how long the secret must be", err)
		}
	}
}

func TestSealOpen(t *testing.T) {
	k := newTestKeyring(t, testMaster)
	tests := []struct {
		name      string
		purpose   string
		plaintext []byte
		ad        []byte
	}{
		{"channel key", PurposeChannelKey, []byte("sk-proj-abcdef"), []byte("channel:openai-main")},
		{"snapshot", PurposeSnapshotCache, bytes.Repeat([]byte("snapshot"), 10_000), nil},
		{"empty plaintext", PurposeChannelKey, nil, []byte("ad")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := k.Seal(tt.purpose, tt.plaintext, tt.ad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			b, _ := k.Seal(tt.purpose, tt.plaintext, tt.ad)
			if bytes.Equal(a, b) {
				t.Fatal("two seals of the same plaintext are identical: nonce not random")
			}
			if want := 12 + len(tt.plaintext) + 16; len(a) != want {
				t.Fatalf("sealed length %d, want %d", len(a), want)
			}
			if len(tt.plaintext) > 8 && bytes.Contains(a, tt.plaintext[:8]) {
				t.Fatal("sealed data contains the plaintext")
			}
			got, err := k.Open(tt.purpose, a, tt.ad)
			if err != nil || !bytes.Equal(got, tt.plaintext) {
				t.Fatalf("Open = %q, %v", got, err)
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	k := newTestKeyring(t, testMaster)
	other := newTestKeyring(t, []byte("another master secret, 32 bytes"))
	ad := []byte("channel:1")
	sealed, err := k.Seal(PurposeChannelKey, []byte("secret upstream key"), ad)
	if err != nil {
		t.Fatal(err)
	}

	for i := range sealed {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 0x01
		if _, err := k.Open(PurposeChannelKey, tampered, ad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flipping byte %d: Open error = %v, want ErrDecrypt", i, err)
		}
	}
	tests := []struct {
		name    string
		keyring *Keyring
		purpose string
		sealed  []byte
		ad      []byte
		err     error
	}{
		{"wrong purpose", k, PurposeSnapshotCache, sealed, ad, ErrDecrypt},
		{"wrong master", other, PurposeChannelKey, sealed, ad, ErrDecrypt},
		{"wrong additional data", k, PurposeChannelKey, sealed, []byte("channel:2"), ErrDecrypt},
		{"missing additional data", k, PurposeChannelKey, sealed, nil, ErrDecrypt},
		{"truncated", k, PurposeChannelKey, sealed[:len(sealed)-1], ad, ErrDecrypt},
		{"appended", k, PurposeChannelKey, append(bytes.Clone(sealed), 0), ad, ErrDecrypt},
		{"shorter than a nonce", k, PurposeChannelKey, sealed[:5], ad, ErrDecrypt},
		{"empty", k, PurposeChannelKey, nil, ad, ErrDecrypt},
		{"digest purpose", k, PurposeTokenDigest, sealed, ad, ErrPurpose},
		{"unknown purpose", k, "channel-keys", sealed, ad, ErrPurpose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.keyring.Open(tt.purpose, tt.sealed, tt.ad)
			if !errors.Is(err, tt.err) || got != nil {
				t.Fatalf("Open = %q, %v; want %v", got, err, tt.err)
			}
		})
	}
	if _, err := k.Seal(PurposeTokenDigest, []byte("x"), nil); !errors.Is(err, ErrPurpose) {
		t.Fatalf("Seal with the digest purpose: %v, want ErrPurpose", err)
	}
}
