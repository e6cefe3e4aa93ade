package secrets

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

func referenceDigest(key []byte, secret string) Digest {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(secret))
	return Digest(mac.Sum(nil))
}

func TestTokenDigest(t *testing.T) {
	k := newTestKeyring(t, testMaster)
	key := hkdfSHA256(testMaster, nil, PurposeTokenDigest, 32)
	// Lengths around the 128-byte chunk the digest copies the secret through.
	for _, n := range []int{0, 1, 49, 127, 128, 129, 256, 1000} {
		secret := strings.Repeat("a", n)
		if n > 0 {
			secret = secret[:n-1] + "z"
		}
		if got, want := k.TokenDigest(secret), referenceDigest(key, secret); got != want {
			t.Errorf("TokenDigest(%d chars) = %s, want %s", n, got, want)
		}
		if k.TokenDigest(secret) != k.TokenDigest(secret) {
			t.Errorf("TokenDigest(%d chars) is not deterministic", n)
		}
	}
	other := newTestKeyring(t, []byte("a different master secret"))
	if k.TokenDigest("sk-bc-x") == other.TokenDigest("sk-bc-x") {
		t.Error("two master secrets give the same digest")
	}
	if k.TokenDigest("sk-bc-x") == k.TokenDigest("sk-bc-y") {
		t.Error("two secrets give the same digest")
	}
}

func TestTokenDigestConcurrent(t *testing.T) {
	k := newTestKeyring(t, testMaster)
	key := hkdfSHA256(testMaster, nil, PurposeTokenDigest, 32)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			secret := strings.Repeat(string(rune('a'+g)), 100+g*20)
			want := referenceDigest(key, secret)
			for range 500 {
				if k.TokenDigest(secret) != want {
					errs <- secret
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("wrong digest under concurrency for a %d-char secret", len(s))
	}
}

func BenchmarkTokenDigest(b *testing.B) {
	k := newTestKeyring(b, testMaster)
	tok, err := NewToken()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var sink Digest
	for b.Loop() {
		sink = k.TokenDigest(tok.Secret)
	}
	if sink == (Digest{}) {
		b.Fatal("empty digest")
	}
}

func TestDigestHex(t *testing.T) {
	k := newTestKeyring(t, testMaster)
	d := k.TokenDigest("sk-bc-hex")
	s := d.String()
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(s) {
		t.Fatalf("String() = %q, want 64 lower-case hex digits", s)
	}
	tests := []struct {
		in   string
		want Digest
		err  error
	}{
		{s, d, nil},
		{strings.ToUpper(s), d, nil},
		{"", Digest{}, ErrDigestSyntax},
		{s[:62], Digest{}, ErrDigestSyntax},
		{s + "00", Digest{}, ErrDigestSyntax},
		{"zz" + s[2:], Digest{}, ErrDigestSyntax},
	}
	for _, tt := range tests {
		got, err := ParseDigest(tt.in)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) || got != tt.want {
			t.Errorf("ParseDigest(%q) = %s, %v; want %s, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func FuzzParseDigest(f *testing.F) {
	f.Add(strings.Repeat("ab", 32))
	f.Add(strings.Repeat("AB", 32))
	f.Add("")
	f.Add(strings.Repeat("g", 64))
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err != nil {
			if !errors.Is(err, ErrDigestSyntax) {
				t.Fatalf("ParseDigest(%q) error %v is not ErrDigestSyntax", s, err)
			}
			return
		}
		if d.String() != strings.ToLower(s) {
			t.Fatalf("ParseDigest(%q).String() = %q", s, d.String())
		}
	})
}

var tokenFormat = regexp.MustCompile(`^sk-bc-[0-9A-Za-z]{43}$`)

func TestNewToken(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if !tokenFormat.MatchString(tok.Secret) {
			t.Fatalf("secret %q does not match %s", tok.Secret, tokenFormat)
		}
		if tok.Prefix != tok.Secret[:10] || tok.Last4 != tok.Secret[len(tok.Secret)-4:] {
			t.Fatalf("token %+v: wrong prefix or last 4", tok)
		}
		if seen[tok.Secret] {
			t.Fatalf("duplicate secret %q", tok.Secret)
		}
		seen[tok.Secret] = true
	}
}

func TestNewTokenRejectionSampling(t *testing.T) {
	// Bytes of 248 and above are skipped; the rest map to base62[b % 62].
	first := []byte{248, 255, 0, 61, 62, 247, 123}
	random := io.MultiReader(bytes.NewReader(first), bytes.NewReader(bytes.Repeat([]byte{1}, 64*2)))
	tok, err := newToken(random)
	if err != nil {
		t.Fatal(err)
	}
	want := "sk-bc-0z0zz" + strings.Repeat("1", TokenRandomLen-5)
	if tok.Secret != want {
		t.Fatalf("secret = %q, want %q", tok.Secret, want)
	}
	if _, err := newToken(iotest.ErrReader(io.ErrUnexpectedEOF)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("failing random source: %v", err)
	}
}

func TestDescribeAndMask(t *testing.T) {
	tests := []struct {
		secret, prefix, last4, mask string
	}{
		{"sk-bc-0123456789abcdefghijABCDEFGHIJklmnopqrstuvw", "sk-bc-0123", "tuvw", "sk-bc-0123...tuvw"},
		{"sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD", "sk-proj-ab", "ABCD", "sk-proj-ab...ABCD"},
		{"sk-bc-alice-laptop", "sk-b", "ptop", "sk-b...ptop"}, // 18 chars: a quarter at each end
		{"0123456789ab", "012", "9ab", "012...9ab"},
		{"0123456789a", "", "", "***"},
		{"", "", "", "***"},
	}
	for _, tt := range tests {
		got := Describe(tt.secret)
		if got.Secret != tt.secret || got.Prefix != tt.prefix || got.Last4 != tt.last4 {
			t.Errorf("Describe(%q) = %+v, want prefix %q last4 %q", tt.secret, got, tt.prefix, tt.last4)
		}
		if len(got.Prefix)+len(got.Last4) > len(tt.secret)/2 {
			t.Errorf("Describe(%q) reveals more than half", tt.secret)
		}
		if m := Mask(tt.secret); m != tt.mask {
			t.Errorf("Mask(%q) = %q, want %q", tt.secret, m, tt.mask)
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"admin-key", "admin-key", true},
		{"", "", true},
		{"admin-key", "admin-kez", false},
		{"admin-key", "admin-key ", false},
		{"admin-key", "", false},
		{"a", "A", false},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
