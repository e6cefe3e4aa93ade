package fakeupstream

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
)

// The fake OAuth2 token endpoint for Vertex AI, as Google's answers the
// JWT bearer grant (RFC 7523) of service accounts:
//
//	POST /token   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>
//
// The assertion must be an RS256 JWT signed by a key registered with
// [Server.TrustServiceAccount] for its "iss" (the service account's email),
// with "scope" set, "aud" the URL the request was sent to (or Google's own
// token URL, so a key file whose token_uri is Google's works with an
// overridden endpoint), "iat" not in the future (5 minutes of skew) and
// "exp" after now and at most one hour after "iat". The answer is
// {"access_token","expires_in","token_type":"Bearer"}, the token living
// [Server.SetTokenLifetime] (default one hour); refusals are 400 with
// {"error","error_description"}: unsupported_grant_type, invalid_request,
// invalid_scope or invalid_grant. Scenarios apply (root/s/<scenario>/token,
// see TokenURL), their faults in the same OAuth shape. Tokens are accepted by
// the Vertex routes until they expire; [Server.TokensIssued] counts grants.

// TokenPath is the path of the fake OAuth2 token endpoint.
const TokenPath = "/token"

const (
	jwtBearerGrant       = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	defaultTokenLifetime = time.Hour
	maxTokenLifetime     = 24 * time.Hour
	maxAssertionLifetime = time.Hour
	assertionSkew        = 5 * time.Minute
	maxAssertionBytes    = 16 << 10
	tokenPruneAbove      = 4096
)

// TokenURL joins a server root and a scenario into the token endpoint's
// URL: root/token, or root/s/<scenario>/token.
func TokenURL(root, scenario string) string {
	return AnthropicBaseURL(root, scenario) + TokenPath
}

// TokenURL is the token endpoint under which scenario applies.
func (r *Running) TokenURL(scenario string) string { return TokenURL(r.URL, scenario) }

// TrustServiceAccount lets the token endpoint accept assertions from email
// signed by pub. An account may have several keys (rotation): each one
// added is trusted.
func (s *Server) TrustServiceAccount(email string, pub *rsa.PublicKey) {
	a := &s.google.auth
	a.mu.Lock()
	a.accounts[email] = append(a.accounts[email], pub)
	a.mu.Unlock()
}

// SetTokenLifetime sets how long issued access tokens live, from 1s to 24h;
// expires_in reports it in whole seconds.
func (s *Server) SetTokenLifetime(d time.Duration) error {
	if d < time.Second || d > maxTokenLifetime {
		return fmt.Errorf("%w: token lifetime %v outside [1s, 24h]", ErrInvalidOptions, d)
	}
	a := &s.google.auth
	a.mu.Lock()
	a.lifetime = d.Truncate(time.Second)
	a.mu.Unlock()
	return nil
}

// TokensIssued is how many access tokens the token endpoint has issued.
func (s *Server) TokensIssued() int {
	a := &s.google.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issued
}

type oauthState struct {
	mu       sync.Mutex
	accounts map[string][]*rsa.PublicKey
	tokens   map[string]grant
	lifetime time.Duration
	issued   int
}

type grant struct {
	scope   string
	expires time.Time
}

func (a *oauthState) init() {
	a.accounts = make(map[string][]*rsa.PublicKey)
	a.tokens = make(map[string]grant)
	a.lifetime = defaultTokenLifetime
}

type tokenCheck uint8

const (
	tokenOK tokenCheck = iota
	tokenUnknown
	tokenExpired
	tokenNoScope
)

// check looks up an access token and whether it grants scope.
func (a *oauthState) check(token, scope string) tokenCheck {
	a.mu.Lock()
	g, ok := a.tokens[token]
	a.mu.Unlock()
	switch {
	case !ok:
		return tokenUnknown
	case !time.Now().Before(g.expires):
		return tokenExpired
	case !hasScope(g.scope, scope):
		return tokenNoScope
	}
	return tokenOK
}

func hasScope(scopes, want string) bool {
	for s := range strings.FieldsSeq(scopes) {
		if s == want {
			return true
		}
	}
	return false
}

func (a *oauthState) keys(email string) []*rsa.PublicKey {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.accounts[email]
}

// issue records a new access token for scope and returns it with its lifetime.
func (a *oauthState) issue(scope string) (string, time.Duration, error) {
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", 0, err
	}
	token := "ya29.fake-" + hex.EncodeToString(raw[:])
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.tokens) > tokenPruneAbove {
		for t, g := range a.tokens {
			if !now.Before(g.expires) {
				delete(a.tokens, t)
			}
		}
	}
	a.tokens[token] = grant{scope: scope, expires: now.Add(a.lifetime)}
	a.issued++
	return token, a.lifetime, nil
}

func oauthErrorCode(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "invalid_client"
	case status == http.StatusServiceUnavailable:
		return "temporarily_unavailable"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request"
}

// appendOAuthError renders {"error","error_description"}, the code chosen by status.
func appendOAuthError(b []byte, status int, message string) []byte {
	return appendOAuthErrorCode(b, oauthErrorCode(status), message)
}

func appendOAuthErrorCode(b []byte, code, description string) []byte {
	b = append(b, `{"error":`...)
	b = jsonwrite.AppendString(b, code)
	b = append(b, `,"error_description":`...)
	b = jsonwrite.AppendString(b, description)
	return append(b, '}')
}

// oauthRefuse answers 400 with an OAuth error code.
func (ex *exchange) oauthRefuse(code, description string) {
	ex.buf = appendOAuthErrorCode(ex.buf[:0], code, description)
	h := ex.w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(ex.buf))}
	ex.w.WriteHeader(http.StatusBadRequest)
	_, _ = ex.w.Write(ex.buf)
}

func (ex *exchange) oauthToken() {
	form, err := url.ParseQuery(string(ex.body))
	if err != nil {
		ex.oauthRefuse("invalid_request", "The request body is not form-encoded.")
		return
	}
	if gt := form.Get("grant_type"); gt != jwtBearerGrant {
		ex.oauthRefuse("unsupported_grant_type", "Invalid grant_type: "+gt)
		return
	}
	raw := form.Get("assertion")
	if raw == "" {
		ex.oauthRefuse("invalid_request", "Missing required parameter: assertion")
		return
	}
	if !ex.admit("") {
		return
	}
	as, err := parseAssertion(raw)
	if err != nil {
		ex.oauthRefuse("invalid_grant", "Invalid JWT: "+err.Error())
		return
	}
	a := &ex.s.google.auth
	keys := a.keys(as.claims.Iss)
	if len(keys) == 0 {
		ex.oauthRefuse("invalid_grant", "Invalid grant: account not found")
		return
	}
	if !as.verify(keys) {
		ex.oauthRefuse("invalid_grant", "Invalid JWT Signature.")
		return
	}
	if !ex.audienceOK(as.claims.audiences()) {
		ex.oauthRefuse("invalid_grant", "Invalid JWT: Failed audience check.")
		return
	}
	if !as.claims.timely(time.Now()) {
		ex.oauthRefuse("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
		return
	}
	if strings.TrimSpace(as.claims.Scope) == "" {
		ex.oauthRefuse("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
		return
	}
	token, life, err := a.issue(as.claims.Scope)
	if err != nil {
		ex.fail(http.StatusInternalServerError, "could not issue a token")
		return
	}
	b := append(ex.buf[:0], `{"access_token":"`...)
	b = append(b, token...)
	b = append(b, `","expires_in":`...)
	b = strconv.AppendInt(b, int64(life/time.Second), 10)
	ex.buf = append(b, `,"token_type":"Bearer"}`...)
	ex.reply(ex.buf)
}

// audienceOK accepts the URL the request was sent to, with or without its
// scenario prefix, and Google's token URLs.
func (ex *exchange) audienceOK(auds []string) bool {
	scheme := "http://"
	if ex.r.TLS != nil {
		scheme = "https://"
	}
	for _, aud := range auds {
		switch aud {
		case scheme + ex.r.Host + ex.r.URL.Path, scheme + ex.r.Host + TokenPath,
			"https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token":
			return true
		}
	}
	return false
}

// assertion is a parsed compact JWS whose signature is not yet checked.
type assertion struct {
	claims assertionClaims
	signed string // header.payload, what the signature covers
	sig    []byte
}

type assertionClaims struct {
	Iss   string          `json:"iss"`
	Scope string          `json:"scope"`
	Aud   json.RawMessage `json:"aud"`
	Exp   *float64        `json:"exp"`
	Iat   *float64        `json:"iat"`
	Sub   string          `json:"sub"`
}

var errMalformedJWT = errors.New("malformed assertion")

// parseAssertion splits and decodes a compact JWS (three base64url parts
// without padding) and its header and claims.
func parseAssertion(raw string) (*assertion, error) {
	if len(raw) > maxAssertionBytes {
		return nil, errMalformedJWT
	}
	h64, rest, ok1 := strings.Cut(raw, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s64, ".") {
		return nil, errMalformedJWT
	}
	enc := base64.RawURLEncoding
	hdr, err1 := enc.DecodeString(h64)
	payload, err2 := enc.DecodeString(p64)
	sig, err3 := enc.DecodeString(s64)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, errMalformedJWT
	}
	var h struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}
	as := &assertion{signed: raw[:len(h64)+1+len(p64)], sig: sig}
	if json.Unmarshal(hdr, &h) != nil || json.Unmarshal(payload, &as.claims) != nil {
		return nil, errMalformedJWT
	}
	if h.Alg != "RS256" {
		return nil, fmt.Errorf("unsupported alg %q", h.Alg)
	}
	if as.claims.Iss == "" {
		return nil, errors.New("missing iss")
	}
	return as, nil
}

// verify checks the RS256 signature against any of keys.
func (as *assertion) verify(keys []*rsa.PublicKey) bool {
	sum := sha256.Sum256([]byte(as.signed))
	for _, k := range keys {
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], as.sig) == nil {
			return true
		}
	}
	return false
}

// audiences reads "aud" as a string or an array of strings.
func (c *assertionClaims) audiences() []string {
	raw := bytes.TrimSpace(c.Aud)
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

// timely checks iat and exp as Google does: iat not in the future, exp in
// the future and at most an hour after iat.
func (c *assertionClaims) timely(now time.Time) bool {
	if c.Iat == nil || c.Exp == nil {
		return false
	}
	iat := time.Unix(int64(*c.Iat), 0)
	exp := time.Unix(int64(*c.Exp), 0)
	return !iat.After(now.Add(assertionSkew)) && exp.After(now) && exp.After(iat) && exp.Sub(iat) <= maxAssertionLifetime
}
