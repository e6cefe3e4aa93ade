package fakeupstream

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// signJWT builds an RS256 compact JWS the way a client library does.
func signJWT(t testing.TB, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(header) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// grantClaims are valid claims for sa at tokenURL.
func grantClaims(sa *ServiceAccount, tokenURL string) map[string]any {
	now := time.Now().Add(-10 * time.Second)
	return map[string]any{
		"iss":   sa.Email,
		"scope": cloudPlatformScope,
		"aud":   tokenURL,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	}
}

func rs256(sa *ServiceAccount) map[string]any {
	return map[string]any{"alg": "RS256", "typ": "JWT", "kid": sa.KeyID}
}

// postToken sends a form to the token endpoint.
func postToken(t testing.TB, ts *httptest.Server, path string, form url.Values) (int, []byte) {
	t.Helper()
	resp, err := ts.Client().PostForm(ts.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

type tokenOut struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
}

type oauthErrOut struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// grantToken runs the JWT bearer grant for claims and returns the token.
func grantToken(t testing.TB, ts *httptest.Server, sa *ServiceAccount, claims map[string]any) tokenOut {
	t.Helper()
	status, body := postToken(t, ts, TokenPath, url.Values{
		"grant_type": {jwtBearerGrant},
		"assertion":  {signJWT(t, sa.Key, rs256(sa), claims)},
	})
	if status != 200 {
		t.Fatalf("grant: status %d: %s", status, body)
	}
	var tok tokenOut
	mustJSON(t, body, &tok)
	return tok
}

// newServiceAccount makes a trusted account on s; one RSA key per test
// keeps the suite quick.
func newServiceAccount(t testing.TB, s *Server, tokenURL string) *ServiceAccount {
	t.Helper()
	sa, err := s.NewServiceAccount(tokenURL, "proj-1")
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

func TestServiceAccountFile(t *testing.T) {
	sa, err := NewServiceAccount("http://127.0.0.1:1/token", "")
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]string
	mustJSON(t, sa.JSON, &f)
	want := map[string]string{
		"type":           "service_account",
		"project_id":     "fake-project",
		"private_key_id": sa.KeyID,
		"client_email":   sa.Email,
		"token_uri":      "http://127.0.0.1:1/token",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %q, want %q", k, f[k], v)
		}
	}
	if !strings.HasSuffix(sa.Email, "@fake-project.iam.gserviceaccount.com") || len(sa.KeyID) != 40 || len(f["client_id"]) != 21 {
		t.Errorf("email %q key id %q client id %q", sa.Email, sa.KeyID, f["client_id"])
	}
	block, rest := pem.Decode([]byte(f["private_key"]))
	if block == nil || block.Type != "PRIVATE KEY" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("private_key is not one PKCS#8 PEM block")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if rk, ok := key.(*rsa.PrivateKey); !ok || !rk.Equal(sa.Key) || rk.N.BitLen() != 2048 {
		t.Error("private_key does not hold the account's 2048-bit RSA key")
	}
}

func TestTokenEndpoint(t *testing.T) {
	s, ts := newFake(t, Options{Keys: []string{"only-this"}}) // API keys do not guard the token endpoint
	tokenURL := TokenURL(ts.URL, "")
	sa := newServiceAccount(t, s, tokenURL)
	other, err := NewServiceAccount(tokenURL, "proj-1") // never trusted
	if err != nil {
		t.Fatal(err)
	}

	tok := grantToken(t, ts, sa, grantClaims(sa, tokenURL))
	if !strings.HasPrefix(tok.AccessToken, "ya29.") || tok.ExpiresIn != 3600 || tok.TokenType != "Bearer" {
		t.Fatalf("token %+v", tok)
	}
	if s.TokensIssued() != 1 {
		t.Errorf("issued %d", s.TokensIssued())
	}
	if again := grantToken(t, ts, sa, grantClaims(sa, tokenURL)); again.AccessToken == tok.AccessToken {
		t.Error("two grants gave the same token")
	}
	// Google's own token URL is an accepted audience, for key files whose
	// token_uri is Google's while the endpoint is overridden.
	claims := grantClaims(sa, "https://oauth2.googleapis.com/token")
	grantToken(t, ts, sa, claims)
	if s.TokensIssued() != 3 {
		t.Errorf("issued %d, want 3", s.TokensIssued())
	}

	with := func(change func(map[string]any)) map[string]any {
		c := grantClaims(sa, tokenURL)
		change(c)
		return c
	}
	now := time.Now()
	tests := []struct {
		name, grantType, assertion string
		code, contains             string
	}{
		{name: "grant type", grantType: "client_credentials", assertion: "x", code: "unsupported_grant_type"},
		{name: "no assertion", code: "invalid_request", contains: "assertion"},
		{name: "garbage", assertion: "not.a.jwt", code: "invalid_grant"},
		{name: "two parts", assertion: "eyJhbGciOiJSUzI1NiJ9.e30", code: "invalid_grant"},
		{name: "alg none", assertion: base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+sa.Email+`"}`)) + ".", code: "invalid_grant", contains: "alg"},
		{name: "unknown account", assertion: signJWT(t, other.Key, rs256(other), grantClaims(other, tokenURL)), code: "invalid_grant", contains: "account"},
		{name: "wrong key", assertion: signJWT(t, other.Key, rs256(sa), grantClaims(sa, tokenURL)), code: "invalid_grant", contains: "Signature"},
		{name: "tampered claims", assertion: func() string {
			j := signJWT(t, sa.Key, rs256(sa), grantClaims(sa, tokenURL))
			parts := strings.Split(j, ".")
			c := grantClaims(sa, tokenURL)
			c["scope"] = "https://www.googleapis.com/auth/everything"
			b, _ := json.Marshal(c)
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
		}(), code: "invalid_grant", contains: "Signature"},
		{name: "audience", assertion: signJWT(t, sa.Key, rs256(sa), with(func(c map[string]any) { c["aud"] = "https://example.com/token" })), code: "invalid_grant", contains: "audience"},
		{name: "expired", assertion: signJWT(t, sa.Key, rs256(sa), with(func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		})), code: "invalid_grant", contains: "iat and exp"},
		{name: "too long", assertion: signJWT(t, sa.Key, rs256(sa), with(func(c map[string]any) { c["exp"] = now.Add(2 * time.Hour).Unix() })), code: "invalid_grant", contains: "iat and exp"},
		{name: "issued in the future", assertion: signJWT(t, sa.Key, rs256(sa), with(func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(time.Hour).Unix(), now.Add(90*time.Minute).Unix()
		})), code: "invalid_grant", contains: "iat and exp"},
		{name: "no exp", assertion: signJWT(t, sa.Key, rs256(sa), with(func(c map[string]any) { delete(c, "exp") })), code: "invalid_grant"},
		{name: "no scope", assertion: signJWT(t, sa.Key, rs256(sa), with(func(c map[string]any) { delete(c, "scope") })), code: "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gt := tt.grantType
			if gt == "" {
				gt = jwtBearerGrant
			}
			form := url.Values{"grant_type": {gt}}
			if tt.assertion != "" {
				form.Set("assertion", tt.assertion)
			}
			status, body := postToken(t, ts, TokenPath, form)
			var e oauthErrOut
			mustJSON(t, body, &e)
			if status != 400 || e.Error != tt.code || e.Description == "" || !strings.Contains(e.Description, tt.contains) {
				t.Errorf("status %d body %s, want 400 %s containing %q", status, body, tt.code, tt.contains)
			}
		})
	}
	if s.TokensIssued() != 3 {
		t.Errorf("refusals issued tokens: %d", s.TokensIssued())
	}

	t.Run("faults", func(t *testing.T) {
		form := url.Values{"grant_type": {jwtBearerGrant}, "assertion": {signJWT(t, sa.Key, rs256(sa), grantClaims(sa, TokenURL(ts.URL, "status=503")))}}
		status, body := postToken(t, ts, "/s/status=503"+TokenPath, form)
		var e oauthErrOut
		if mustJSON(t, body, &e); status != 503 || e.Error != "temporarily_unavailable" {
			t.Errorf("status %d: %s", status, body)
		}
		// The audience may carry the scenario prefix or not.
		status, body = postToken(t, ts, "/s/latency=1ms"+TokenPath, url.Values{"grant_type": {jwtBearerGrant}, "assertion": {signJWT(t, sa.Key, rs256(sa), grantClaims(sa, TokenURL(ts.URL, "latency=1ms")))}})
		if status != 200 {
			t.Errorf("scenario audience: status %d: %s", status, body)
		}
		if status, _ := postToken(t, ts, "/s/fail-first=1"+TokenPath, form); status != 500 {
			t.Errorf("fail-first: %d", status)
		}
	})
}

func TestTokenEndpointKeyRotation(t *testing.T) {
	s, ts := newFake(t, Options{})
	tokenURL := TokenURL(ts.URL, "")
	sa := newServiceAccount(t, s, tokenURL)
	next, err := NewServiceAccount(tokenURL, "proj-1")
	if err != nil {
		t.Fatal(err)
	}
	s.TrustServiceAccount(sa.Email, next.PublicKey()) // a second key of the same account
	grantToken(t, ts, sa, grantClaims(sa, tokenURL))
	grantToken(t, ts, next, grantClaims(sa, tokenURL)) // iss is sa's email, signed by the new key
	if s.TokensIssued() != 2 {
		t.Errorf("issued %d", s.TokensIssued())
	}
}

func TestVertex(t *testing.T) {
	s, ts := newFake(t, Options{Keys: []string{"api-key-not-for-vertex"}})
	tokenURL := TokenURL(ts.URL, "")
	sa := newServiceAccount(t, s, tokenURL)
	tok := grantToken(t, ts, sa, grantClaims(sa, tokenURL))
	const vpath = "/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-2.5-flash"
	vertex := func(path, bearer string) (int, []byte) {
		hdr := map[string]string{"x-goog-api-key": ""}
		if bearer != "" {
			hdr["Authorization"] = "Bearer " + bearer
		}
		status, _, body := gemDo(t, ts, http.MethodPost, path, gemBody, hdr)
		return status, body
	}

	t.Run("generate", func(t *testing.T) {
		for _, path := range []string{vpath + ":generateContent", "/v1beta1/projects/p/locations/global/publishers/google/models/gemini-2.5-flash:generateContent"} {
			status, body := vertex("/s/chunks=3,cached=1"+path, tok.AccessToken)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var r gemResponseOut
			mustJSON(t, body, &r)
			checkGemParts(t, r.Candidates[0].Content.Parts, gemWant{tokens: 3})
			checkGemUsage(t, r.UsageMetadata, gemWant{tokens: 3, prompt: 5, cached: 1})
		}
		req, _ := s.LastRequest()
		if req.BearerKey() != tok.AccessToken {
			t.Errorf("recorded bearer %q", req.BearerKey())
		}
	})
	t.Run("stream", func(t *testing.T) {
		resp := gemCall(t, ts.Client(), http.MethodPost, ts.URL+"/s/chunks=2"+vpath+":streamGenerateContent?alt=sse", gemBody,
			map[string]string{"x-goog-api-key": "", "Authorization": "Bearer " + tok.AccessToken})
		defer resp.Body.Close()
		events, err := readSSE(resp.Body)
		if err != nil || resp.StatusCode != 200 || len(events) != 3 {
			t.Fatalf("status %d, %d events, err %v", resp.StatusCode, len(events), err)
		}
	})
	t.Run("fault", func(t *testing.T) {
		status, body := vertex("/s/status=429,retry-after=2"+vpath+":generateContent", tok.AccessToken)
		e := checkGoogleError(t, body, 429, "RESOURCE_EXHAUSTED")
		if status != 429 || e.detail("RetryInfo") == nil {
			t.Errorf("status %d: %s", status, body)
		}
	})

	narrow := grantToken(t, ts, sa, func() map[string]any {
		c := grantClaims(sa, tokenURL)
		c["scope"] = "https://www.googleapis.com/auth/devstorage.read_only"
		return c
	}())
	tests := []struct {
		name, bearer string
		status       int
		gstatus      string
		reason       string
	}{
		{"missing", "", 401, "UNAUTHENTICATED", "CREDENTIALS_MISSING"},
		{"unknown", "ya29.made-up", 401, "UNAUTHENTICATED", ""},
		{"api key is not a token", "api-key-not-for-vertex", 401, "UNAUTHENTICATED", ""},
		{"scope", narrow.AccessToken, 403, "PERMISSION_DENIED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := vertex(vpath+":generateContent", tt.bearer)
			if status != tt.status {
				t.Fatalf("status %d: %s", status, body)
			}
			e := checkGoogleError(t, body, tt.status, tt.gstatus)
			if tt.reason != "" && (e.detail("ErrorInfo") == nil || e.detail("ErrorInfo")["reason"] != tt.reason) {
				t.Errorf("details %v, want reason %s", e.Error.Details, tt.reason)
			}
		})
	}
	t.Run("gemini key does not open vertex", func(t *testing.T) {
		status, _, _ := gemDo(t, ts, http.MethodPost, vpath+":generateContent", gemBody, map[string]string{"x-goog-api-key": "api-key-not-for-vertex"})
		if status != 401 {
			t.Errorf("status %d", status)
		}
	})
}

func TestVertexTokenExpiry(t *testing.T) {
	s, ts := newFake(t, Options{})
	if err := s.SetTokenLifetime(time.Second); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []time.Duration{0, 999 * time.Millisecond, 25 * time.Hour} {
		if s.SetTokenLifetime(bad) == nil {
			t.Errorf("lifetime %v accepted", bad)
		}
	}
	tokenURL := TokenURL(ts.URL, "")
	sa := newServiceAccount(t, s, tokenURL)
	tok := grantToken(t, ts, sa, grantClaims(sa, tokenURL))
	if tok.ExpiresIn != 1 {
		t.Errorf("expires_in %d", tok.ExpiresIn)
	}
	path := "/v1/projects/p/locations/l/publishers/google/models/m:generateContent"
	hdr := map[string]string{"x-goog-api-key": "", "Authorization": "Bearer " + tok.AccessToken}
	if status, _, body := gemDo(t, ts, http.MethodPost, path, gemBody, hdr); status != 200 {
		t.Fatalf("fresh token: %d %s", status, body)
	}
	time.Sleep(1100 * time.Millisecond)
	status, _, body := gemDo(t, ts, http.MethodPost, path, gemBody, hdr)
	e := checkGoogleError(t, body, 401, "UNAUTHENTICATED")
	if status != 401 || e.detail("ErrorInfo")["reason"] != "ACCESS_TOKEN_EXPIRED" {
		t.Errorf("expired token: %d %s", status, body)
	}
}

func TestTokenEndpointConcurrent(t *testing.T) {
	s, ts := newFake(t, Options{})
	tokenURL := TokenURL(ts.URL, "")
	sa := newServiceAccount(t, s, tokenURL)
	const n = 16
	var wg sync.WaitGroup
	seen := make(chan string, n)
	for range n {
		wg.Go(func() { seen <- grantToken(t, ts, sa, grantClaims(sa, tokenURL)).AccessToken })
	}
	wg.Wait()
	close(seen)
	uniq := map[string]bool{}
	for tok := range seen {
		uniq[tok] = true
	}
	if len(uniq) != n || s.TokensIssued() != n {
		t.Errorf("%d distinct tokens, %d issued; want %d", len(uniq), s.TokensIssued(), n)
	}
}

func FuzzParseAssertion(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		"",
		"a.b.c",
		enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(`{"iss":"x","aud":["a","b"],"exp":1e30,"iat":-1}`)) + "." + enc([]byte("sig")),
		enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(`{"iss":"x","aud":7}`)) + ".",
		"..",
	} {
		f.Add(s)
	}
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		as, err := parseAssertion(raw)
		if err != nil {
			return
		}
		if as.claims.Iss == "" || len(as.signed) >= len(raw) {
			t.Fatalf("accepted %q as %+v", raw, as)
		}
		_ = as.claims.audiences()
		_ = as.claims.timely(time.Now())
		if as.verify([]*rsa.PublicKey{&key.PublicKey}) {
			t.Fatalf("random input %q verified", raw)
		}
	})
}
