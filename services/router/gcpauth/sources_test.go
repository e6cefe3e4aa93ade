package gcpauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
	"github.com/burncloud/burncloud/services/router/egress"
)

const vertexPath = "/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"

// newFake starts the fake upstream; the Server closes first so hanging
// requests do not block the httptest Close.
func newFake(t testing.TB) (*fakeupstream.Server, *httptest.Server) {
	t.Helper()
	s := fakeupstream.New(fakeupstream.Options{})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close)
	return s, ts
}

// newAccount makes a service account trusted by s whose token_uri is tokenURI.
func newAccount(t testing.TB, s *fakeupstream.Server, tokenURI string) *fakeupstream.ServiceAccount {
	t.Helper()
	sa, err := s.NewServiceAccount(tokenURI, "proj-1")
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

func newSources(t testing.TB, client *http.Client, opts Options) *Sources {
	t.Helper()
	src, err := NewSources(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	return src
}

// vertexStatus calls the fake's Vertex endpoint with token.
func vertexStatus(t testing.TB, ts *httptest.Server, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+vertexPath, strings.NewReader(`{"contents":[{"parts":[{"text":"hi"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// lastAssertion decodes the header and claims of the last grant the fake received.
func lastAssertion(t testing.TB, s *fakeupstream.Server) (path string, header, claims map[string]any) {
	t.Helper()
	var req fakeupstream.Request
	found := false
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, fakeupstream.TokenPath) {
			req, found = r, true
		}
	}
	if !found {
		t.Fatal("no token request recorded")
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		t.Errorf("grant_type %q", form.Get("grant_type"))
	}
	parts := strings.Split(form.Get("assertion"), ".")
	if len(parts) != 3 {
		t.Fatalf("assertion has %d parts", len(parts))
	}
	decode := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return req.Path, decode(parts[0]), decode(parts[1])
}

func TestTokenGrant(t *testing.T) {
	s, ts := newFake(t)
	tokenURL := fakeupstream.TokenURL(ts.URL, "")
	sa := newAccount(t, s, tokenURL)
	src := newSources(t, ts.Client(), Options{})

	tok, err := src.Token(context.Background(), string(sa.JSON))
	if err != nil {
		t.Fatal(err)
	}
	// The fake verified the RS256 signature against the account's public
	// key before issuing; its Vertex endpoint accepts only what it issued.
	if status := vertexStatus(t, ts, tok); status != http.StatusOK {
		t.Fatalf("vertex answered %d to the token", status)
	}
	hdr, err := src.Authorization(context.Background(), string(sa.JSON))
	if err != nil || hdr != "Bearer "+tok {
		t.Errorf("Authorization %q, %v", hdr, err)
	}
	path, h, c := lastAssertion(t, s)
	if path != fakeupstream.TokenPath || h["alg"] != "RS256" || h["kid"] != sa.KeyID {
		t.Errorf("path %s header %v", path, h)
	}
	if c["iss"] != sa.Email || c["scope"] != Scope || c["aud"] != tokenURL {
		t.Errorf("claims %v", c)
	}
	if s.TokensIssued() != 1 || src.Len() != 1 {
		t.Errorf("issued %d, cached %d", s.TokensIssued(), src.Len())
	}
	info, err := ParseKey(sa.JSON)
	if err != nil || info != (KeyInfo{Email: sa.Email, ProjectID: "proj-1", KeyID: sa.KeyID, TokenURI: tokenURL}) {
		t.Errorf("ParseKey %+v, %v", info, err)
	}
}

func TestTokenCachedUnderConcurrency(t *testing.T) {
	s, ts := newFake(t)
	// A slow endpoint makes every caller arrive while the one grant runs.
	sa := newAccount(t, s, fakeupstream.TokenURL(ts.URL, "latency=100ms"))
	src := newSources(t, ts.Client(), Options{})
	const callers = 64
	tokens := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { tokens[i], errs[i] = src.Token(context.Background(), string(sa.JSON)) })
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || tokens[i] != tokens[0] || tokens[0] == "" {
			t.Fatalf("caller %d: %q, %v (first %q)", i, tokens[i], errs[i], tokens[0])
		}
	}
	for range 100 {
		if tok, err := src.Token(context.Background(), string(sa.JSON)); err != nil || tok != tokens[0] {
			t.Fatalf("cached call: %q, %v", tok, err)
		}
	}
	if n := s.TokensIssued(); n != 1 {
		t.Errorf("%d grants, want 1", n)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	s, ts := newFake(t)
	if err := s.SetTokenLifetime(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	// The grant takes 200ms, so a caller that had to wait for it would show.
	sa := newAccount(t, s, fakeupstream.TokenURL(ts.URL, "latency=200ms"))
	src := newSources(t, ts.Client(), Options{RefreshMargin: time.Second})
	ctx := context.Background()
	first, err := src.Token(ctx, string(sa.JSON))
	if err != nil {
		t.Fatal(err)
	}
	if tok, _ := src.Token(ctx, string(sa.JSON)); tok != first || s.TokensIssued() != 1 {
		t.Fatalf("fresh token not reused: %q, %d grants", tok, s.TokensIssued())
	}
	time.Sleep(1100 * time.Millisecond) // inside the last second: due for refresh, still valid
	start := time.Now()
	tok, err := src.Token(ctx, string(sa.JSON))
	if elapsed := time.Since(start); err != nil || tok != first || elapsed > 100*time.Millisecond {
		t.Fatalf("due token: %q, %v after %v; want the current one at once", tok, err, elapsed)
	}
	deadline := time.Now().Add(2 * time.Second)
	for s.TokensIssued() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no background refresh")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var next string
	for next == "" || next == first {
		if time.Now().After(deadline) {
			t.Fatal("refreshed token not served")
		}
		if next, err = src.Token(ctx, string(sa.JSON)); err != nil {
			t.Fatal(err)
		}
	}
	if status := vertexStatus(t, ts, next); status != http.StatusOK || s.TokensIssued() != 2 {
		t.Errorf("refreshed token: vertex %d, %d grants", status, s.TokensIssued())
	}
}

func TestFailedRefreshKeepsServingUntilExpiry(t *testing.T) {
	s, ts := newFake(t)
	if err := s.SetTokenLifetime(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	sa := newAccount(t, s, fakeupstream.TokenURL(ts.URL, ""))
	src := newSources(t, ts.Client(), Options{RefreshMargin: time.Second, RetryBackoff: 50 * time.Millisecond})
	ctx := context.Background()
	first, err := src.Token(ctx, string(sa.JSON))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if err := s.SetScenario(fakeupstream.Scenario{Status: http.StatusServiceUnavailable}); err != nil {
		t.Fatal(err)
	}
	for range 3 { // due, refresh failing: the valid token is still served
		if tok, err := src.Token(ctx, string(sa.JSON)); err != nil || tok != first {
			t.Fatalf("during failing refresh: %q, %v", tok, err)
		}
		time.Sleep(60 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond) // within the last moments of its life: no longer served
	if tok, err := src.Token(ctx, string(sa.JSON)); !errors.Is(err, ErrTokenUnavailable) {
		t.Fatalf("near expiry with the endpoint down: %q, %v", tok, err)
	}
	if err := s.SetScenario(fakeupstream.Scenario{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if tok, err := src.Token(ctx, string(sa.JSON)); err != nil || tok == first {
		t.Fatalf("after recovery: %q, %v", tok, err)
	}
}

func TestExpiredTokenIsNeverServed(t *testing.T) {
	s, ts := newFake(t)
	if err := s.SetTokenLifetime(time.Second); err != nil {
		t.Fatal(err)
	}
	sa := newAccount(t, s, fakeupstream.TokenURL(ts.URL, ""))
	src := newSources(t, ts.Client(), Options{})
	first, err := src.Token(context.Background(), string(sa.JSON))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if status := vertexStatus(t, ts, first); status != http.StatusUnauthorized {
		t.Fatalf("expired token: vertex %d", status)
	}
	next, err := src.Token(context.Background(), string(sa.JSON))
	if err != nil || next == first {
		t.Fatalf("after expiry: %q, %v", next, err)
	}
	if status := vertexStatus(t, ts, next); status != http.StatusOK {
		t.Errorf("new token: vertex %d", status)
	}
}

func TestTokenPerKeyAndRotation(t *testing.T) {
	s, ts := newFake(t)
	tokenURL := fakeupstream.TokenURL(ts.URL, "")
	a, b, c := newAccount(t, s, tokenURL), newAccount(t, s, tokenURL), newAccount(t, s, tokenURL)
	ctx := context.Background()
	get := func(src *Sources, sa *fakeupstream.ServiceAccount) string {
		t.Helper()
		tok, err := src.Token(ctx, string(sa.JSON))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	t.Run("one source per key", func(t *testing.T) {
		src := newSources(t, ts.Client(), Options{})
		before := s.TokensIssued()
		ta, tb := get(src, a), get(src, b)
		if ta == tb {
			t.Fatal("two keys share a token")
		}
		if get(src, a) != ta || get(src, b) != tb || s.TokensIssued()-before != 2 || src.Len() != 2 {
			t.Errorf("%d grants, %d cached", s.TokensIssued()-before, src.Len())
		}
	})
	t.Run("bounded", func(t *testing.T) {
		src := newSources(t, ts.Client(), Options{MaxKeys: 1})
		before := s.TokensIssued()
		get(src, a)
		get(src, b) // evicts a
		get(src, a)
		if s.TokensIssued()-before != 3 || src.Len() != 1 {
			t.Errorf("%d grants, %d cached; want 3 and 1", s.TokensIssued()-before, src.Len())
		}
	})
	t.Run("idle keys dropped", func(t *testing.T) {
		src := newSources(t, ts.Client(), Options{MaxKeys: 2, IdleTTL: 20 * time.Millisecond})
		get(src, a)
		get(src, b)
		time.Sleep(40 * time.Millisecond)
		get(src, c) // over the bound: both idle sources go, not just the oldest
		if src.Len() != 1 {
			t.Errorf("%d cached, want 1", src.Len())
		}
	})
}

func TestInvalidKeys(t *testing.T) {
	s, ts := newFake(t)
	sa := newAccount(t, s, fakeupstream.TokenURL(ts.URL, ""))
	var good map[string]any
	if err := json.Unmarshal(sa.JSON, &good); err != nil {
		t.Fatal(err)
	}
	privateKey := good["private_key"].(string)
	with := func(k string, v any) string {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))
	tests := []struct {
		name, json, reason string
	}{
		{"empty", "", "not valid JSON"},
		{"truncated", string(sa.JSON[:len(sa.JSON)/2]), "not valid JSON"},
		{"array", "[]", "wrong type"},
		{"user credentials", with("type", "authorized_user"), "type"},
		{"no type", with("type", nil), "type"},
		{"no email", with("client_email", nil), "client_email"},
		{"email of wrong type", with("client_email", 7), "wrong type"},
		{"no private key", with("private_key", nil), "private_key"},
		{"private key not PEM", with("private_key", strings.ReplaceAll(privateKey, "-----", "")), "not PEM"},
		{"private key damaged", with("private_key", strings.Replace(privateKey, "MII", "XXX", 1)), "PKCS#8 or PKCS#1"},
		{"EC key", with("private_key", ecPEM), "not an RSA key"},
		{"token_uri not http", with("token_uri", "file:///etc/passwd"), "token_uri"},
	}
	src := newSources(t, ts.Client(), Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second answer comes from the cache
				_, err := src.Token(context.Background(), tt.json)
				var ke *KeyError
				if !errors.Is(err, ErrInvalidKey) || !errors.As(err, &ke) || !strings.Contains(ke.Reason, tt.reason) {
					t.Fatalf("err %v, want ErrInvalidKey about %q", err, tt.reason)
				}
				if strings.Contains(err.Error(), "PRIVATE") || strings.Contains(err.Error(), privateKey[40:60]) {
					t.Fatalf("error leaks key material: %v", err)
				}
			}
			if _, err := ParseKey([]byte(tt.json)); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("ParseKey: %v", err)
			}
		})
	}
	if s.Received() != 0 {
		t.Errorf("invalid keys reached the token endpoint %d times", s.Received())
	}
}

func TestGrantFailures(t *testing.T) {
	s, ts := newFake(t)
	tokenURL := fakeupstream.TokenURL(ts.URL, "")
	sa := newAccount(t, s, tokenURL)
	untrusted, err := fakeupstream.NewServiceAccount(tokenURL, "proj-1")
	if err != nil {
		t.Fatal(err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	downURL := closed.URL + "/token"
	closed.Close()

	tests := []struct {
		name, tokenURL string
		key            []byte
		kind           error
		status         int
		code           string
		cause          error
	}{
		{name: "refused", key: untrusted.JSON, kind: ErrGrantRefused, status: 400, code: "invalid_grant"},
		{name: "5xx", tokenURL: fakeupstream.TokenURL(ts.URL, "status=503"), key: sa.JSON, kind: ErrTokenUnavailable, status: 503, code: "temporarily_unavailable"},
		{name: "429", tokenURL: fakeupstream.TokenURL(ts.URL, "status=429"), key: sa.JSON, kind: ErrTokenUnavailable, status: 429},
		{name: "404", tokenURL: ts.URL + "/nothing", key: sa.JSON, kind: ErrGrantRefused, status: 404},
		{name: "endpoint down", tokenURL: downURL, key: sa.JSON, kind: ErrTokenUnavailable, cause: syscall.ECONNREFUSED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSources(t, ts.Client(), Options{TokenURL: tt.tokenURL})
			_, err := src.Token(context.Background(), string(tt.key))
			var ge *GrantError
			if !errors.Is(err, tt.kind) || !errors.As(err, &ge) {
				t.Fatalf("err %v, want %v", err, tt.kind)
			}
			if ge.Status != tt.status || tt.code != "" && ge.Code != tt.code || tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("GrantError %+v (%v)", *ge, err)
			}
			if errors.Is(err, ErrInvalidKey) || strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("err %v", err)
			}
		})
	}

	t.Run("backoff then recovery", func(t *testing.T) {
		src := newSources(t, ts.Client(), Options{TokenURL: fakeupstream.TokenURL(ts.URL, "fail-first=1"), RetryBackoff: 100 * time.Millisecond})
		if _, err := src.Token(context.Background(), string(sa.JSON)); !errors.Is(err, ErrTokenUnavailable) {
			t.Fatalf("first: %v", err)
		}
		received := s.Received()
		if _, err := src.Token(context.Background(), string(sa.JSON)); !errors.Is(err, ErrTokenUnavailable) || s.Received() != received {
			t.Fatalf("within backoff: %v, %d new requests", err, s.Received()-received)
		}
		time.Sleep(120 * time.Millisecond)
		if _, err := src.Token(context.Background(), string(sa.JSON)); err != nil {
			t.Fatalf("after backoff: %v", err)
		}
	})

	t.Run("fetch timeout", func(t *testing.T) {
		src := newSources(t, ts.Client(), Options{TokenURL: fakeupstream.TokenURL(ts.URL, "hang"), FetchTimeout: 100 * time.Millisecond})
		_, err := src.Token(context.Background(), string(sa.JSON))
		if !errors.Is(err, ErrTokenUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
	})

	t.Run("caller gives up, grant goes on", func(t *testing.T) {
		before := s.TokensIssued()
		src := newSources(t, ts.Client(), Options{TokenURL: fakeupstream.TokenURL(ts.URL, "latency=300ms")})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := src.Token(ctx, string(sa.JSON)); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 200*time.Millisecond {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
		if _, err := src.Token(context.Background(), string(sa.JSON)); err != nil {
			t.Fatal(err)
		}
		if n := s.TokensIssued() - before; n != 1 {
			t.Errorf("%d grants, want the one that went on", n)
		}
	})

	t.Run("close ends a hanging grant", func(t *testing.T) {
		src, err := NewSources(ts.Client(), Options{TokenURL: fakeupstream.TokenURL(ts.URL, "hang")})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, _ = src.Token(ctx, string(sa.JSON))
		done := make(chan struct{})
		go func() { src.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not end the grant")
		}
		if _, err := src.Token(context.Background(), string(sa.JSON)); !errors.Is(err, ErrClosed) {
			t.Errorf("after Close: %v", err)
		}
	})

	t.Run("egress refuses private address", func(t *testing.T) {
		client := &http.Client{Transport: egress.NewTransport(egress.Options{})}
		src := newSources(t, client, Options{})
		_, err := src.Token(context.Background(), string(sa.JSON))
		if !errors.Is(err, ErrTokenUnavailable) || !errors.Is(err, egress.ErrForbiddenAddress) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestTokenURLOverride(t *testing.T) {
	s, ts := newFake(t)
	// A key file as Google issues it, its token_uri Google's.
	sa := newAccount(t, s, GoogleTokenURL)
	src := newSources(t, ts.Client(), Options{TokenURL: fakeupstream.TokenURL(ts.URL, "")})
	tok, err := src.Token(context.Background(), string(sa.JSON))
	if err != nil {
		t.Fatal(err)
	}
	if status := vertexStatus(t, ts, tok); status != http.StatusOK {
		t.Errorf("vertex %d", status)
	}
	if _, _, c := lastAssertion(t, s); c["aud"] != GoogleTokenURL {
		t.Errorf("aud %v, want the key file's token_uri", c["aud"])
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		bad  []string
	}{
		{"zero", Options{}, nil},
		{"set", Options{TokenURL: "https://oauth2.example/token", Scopes: []string{Scope}, RefreshMargin: time.Minute, MaxKeys: 9}, nil},
		{"all wrong", Options{TokenURL: "oauth2.example/token", Scopes: []string{""}, RefreshMargin: -1, IdleTTL: -1, FetchTimeout: -1, RetryBackoff: -1, MaxKeys: -1},
			[]string{"TokenURL", "Scopes[0]", "RefreshMargin", "IdleTTL", "FetchTimeout", "RetryBackoff", "MaxKeys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if (err != nil) != (len(tt.bad) > 0) {
				t.Fatalf("err %v", err)
			}
			for _, field := range tt.bad {
				if !strings.Contains(err.Error(), field) {
					t.Errorf("%v does not name %s", err, field)
				}
			}
			if _, nerr := NewSources(nil, tt.opts); (nerr != nil) != (err != nil) {
				t.Errorf("NewSources: %v", nerr)
			}
		})
	}
}

// benchKey sets up a cached token for the benchmarks.
func benchKey(b *testing.B) (*Sources, string) {
	s, ts := newFake(b)
	sa := newAccount(b, s, fakeupstream.TokenURL(ts.URL, ""))
	src := newSources(b, ts.Client(), Options{})
	if _, err := src.Token(context.Background(), string(sa.JSON)); err != nil {
		b.Fatal(err)
	}
	return src, string(sa.JSON)
}

func BenchmarkTokenCached(b *testing.B) {
	src, key := benchKey(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Token(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthorizationCachedParallel(b *testing.B) {
	src, key := benchKey(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := src.Authorization(ctx, key); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
