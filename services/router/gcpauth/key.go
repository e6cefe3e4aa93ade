// Package gcpauth turns Vertex AI channel keys (Google service-account key
// files) into OAuth2 access tokens with the JWT bearer grant (RFC 7523), and
// keeps them: one cached token source per distinct key, refreshed in the
// background before expiry, safe for concurrent use, with a lock-free read
// path for the common case of a cached, fresh token.
//
// The grant itself (signing the RS256 assertion, posting it, reading the
// answer) is golang.org/x/oauth2/jwt. Its own caching
// (oauth2.ReuseTokenSourceWithExpiry) is not used: it holds a mutex across
// the token request and cannot be cancelled by the caller's context, so a
// slow token endpoint would stall every request for that key; Sources runs
// the request in the background instead and lets each caller stop waiting
// when its own context ends.
package gcpauth

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/url"
)

// Scope is the OAuth2 scope Vertex AI requests need.
const Scope = "https://www.googleapis.com/auth/cloud-platform"

// GoogleTokenURL is the token endpoint used when a key file names none.
const GoogleTokenURL = "https://oauth2.googleapis.com/token"

// ErrInvalidKey is wrapped by every error about the key itself: not a
// service-account key file, or one whose private key cannot be used. The
// router treats such a key as unusable, not as an upstream failure.
var ErrInvalidKey = errors.New("gcpauth: invalid service-account key")

// KeyError says what is wrong with a key, never what the key contains.
type KeyError struct {
	Reason string
}

func (e *KeyError) Error() string { return "gcpauth: invalid service-account key: " + e.Reason }

func (e *KeyError) Unwrap() error { return ErrInvalidKey }

// KeyInfo is the public part of a service-account key file.
type KeyInfo struct {
	Email     string // client_email, the assertion's issuer
	ProjectID string // project_id, for Vertex URLs
	KeyID     string // private_key_id, sent as the assertion's kid
	TokenURI  string // token_uri, GoogleTokenURL when the file has none
}

// keyFile is what the grant reads of a key file.
type keyFile struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`
}

// ParseKey checks a service-account key file and returns its public part.
// The router can call it when a snapshot arrives, to refuse bad keys early
// and to learn each key's project.
func ParseKey(serviceAccountJSON []byte) (KeyInfo, error) {
	kf, err := parseKeyFile(serviceAccountJSON)
	if err != nil {
		return KeyInfo{}, err
	}
	return KeyInfo{Email: kf.ClientEmail, ProjectID: kf.ProjectID, KeyID: kf.PrivateKeyID, TokenURI: kf.TokenURI}, nil
}

func parseKeyFile(data []byte) (*keyFile, error) {
	var kf keyFile
	// The decoder's messages can quote the input, so they are not passed on.
	if err := json.Unmarshal(data, &kf); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, &KeyError{Reason: "not valid JSON"}
		}
		return nil, &KeyError{Reason: "not a service-account key file (a field has the wrong type)"}
	}
	switch {
	case kf.Type != "service_account":
		return nil, &KeyError{Reason: `"type" is not "service_account"`}
	case kf.ClientEmail == "":
		return nil, &KeyError{Reason: `"client_email" is missing`}
	case kf.PrivateKey == "":
		return nil, &KeyError{Reason: `"private_key" is missing`}
	}
	if err := checkPrivateKey(kf.PrivateKey); err != nil {
		return nil, err
	}
	if kf.TokenURI == "" {
		kf.TokenURI = GoogleTokenURL
	} else if !isHTTPURL(kf.TokenURI) {
		return nil, &KeyError{Reason: `"token_uri" is not an http(s) URL`}
	}
	return &kf, nil
}

// checkPrivateKey accepts what the grant can sign with: an RSA key in a PEM
// block, PKCS#8 (what Google issues) or PKCS#1.
func checkPrivateKey(text string) error {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return &KeyError{Reason: `"private_key" is not PEM`}
	}
	if key, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if _, ok := key.(*rsa.PrivateKey); !ok {
			return &KeyError{Reason: `"private_key" is not an RSA key`}
		}
		return nil
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	return &KeyError{Reason: `"private_key" is not a PKCS#8 or PKCS#1 RSA key`}
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
