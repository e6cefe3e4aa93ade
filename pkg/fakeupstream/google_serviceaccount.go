package fakeupstream

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
)

// ServiceAccount is a generated Google service-account key for tests: the
// key file Google hands out and what a test needs to trust or inspect it.
type ServiceAccount struct {
	// JSON is the key file: type "service_account", project_id,
	// private_key_id, private_key (PKCS#8 PEM), client_email, client_id,
	// auth_uri, token_uri, the certificate URLs and universe_domain.
	JSON      []byte
	Email     string
	ProjectID string
	KeyID     string
	Key       *rsa.PrivateKey
}

// PublicKey is the key the token endpoint checks signatures with.
func (sa *ServiceAccount) PublicKey() *rsa.PublicKey { return &sa.Key.PublicKey }

// serviceAccountFile is the key file, fields in Google's order.
type serviceAccountFile struct {
	Type                    string `json:"type"`
	ProjectID               string `json:"project_id"`
	PrivateKeyID            string `json:"private_key_id"`
	PrivateKey              string `json:"private_key"`
	ClientEmail             string `json:"client_email"`
	ClientID                string `json:"client_id"`
	AuthURI                 string `json:"auth_uri"`
	TokenURI                string `json:"token_uri"`
	AuthProviderX509CertURL string `json:"auth_provider_x509_cert_url"`
	ClientX509CertURL       string `json:"client_x509_cert_url"`
	UniverseDomain          string `json:"universe_domain"`
}

// NewServiceAccount generates a 2048-bit RSA key and a service-account key
// file for it whose token_uri is tokenURI (e.g. Running.TokenURL("")).
// An empty projectID means "fake-project". The account is not trusted by
// any Server until TrustServiceAccount, or use Server.NewServiceAccount.
func NewServiceAccount(tokenURI, projectID string) (*ServiceAccount, error) {
	if projectID == "" {
		projectID = "fake-project"
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("fakeupstream: generate service-account key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("fakeupstream: encode service-account key: %w", err)
	}
	var rnd [24]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	keyID := hex.EncodeToString(rnd[:20])
	email := "sa-" + hex.EncodeToString(rnd[20:]) + "@" + projectID + ".iam.gserviceaccount.com"
	clientID, err := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil))
	if err != nil {
		return nil, err
	}
	file := serviceAccountFile{
		Type:                    "service_account",
		ProjectID:               projectID,
		PrivateKeyID:            keyID,
		PrivateKey:              string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		ClientEmail:             email,
		ClientID:                fmt.Sprintf("1%020s", clientID.String()),
		AuthURI:                 "https://accounts.google.com/o/oauth2/auth",
		TokenURI:                tokenURI,
		AuthProviderX509CertURL: "https://www.googleapis.com/oauth2/v1/certs",
		ClientX509CertURL:       "https://www.googleapis.com/robot/v1/metadata/x509/" + email,
		UniverseDomain:          "googleapis.com",
	}
	js, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return nil, err
	}
	return &ServiceAccount{JSON: js, Email: email, ProjectID: projectID, KeyID: keyID, Key: key}, nil
}

// NewServiceAccount generates a service account (see the function of that
// name) and trusts it.
func (s *Server) NewServiceAccount(tokenURI, projectID string) (*ServiceAccount, error) {
	sa, err := NewServiceAccount(tokenURI, projectID)
	if err != nil {
		return nil, err
	}
	s.TrustServiceAccount(sa.Email, sa.PublicKey())
	return sa, nil
}
