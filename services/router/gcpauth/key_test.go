package gcpauth

import (
	"errors"
	"strings"
	"testing"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
)

func FuzzParseKey(f *testing.F) {
	sa, err := fakeupstream.NewServiceAccount("https://oauth2.example/token", "p")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(sa.JSON),
		strings.Replace(string(sa.JSON), "service_account", "external_account", 1),
		`{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}`,
		`{"type":"service_account","token_uri":7}`,
		``, `null`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseKey(data)
		if err != nil {
			var ke *KeyError
			if !errors.Is(err, ErrInvalidKey) || !errors.As(err, &ke) {
				t.Fatalf("error %v is not a KeyError", err)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Fatalf("error quotes the key: %v", err)
			}
			return
		}
		if info.Email == "" || !isHTTPURL(info.TokenURI) {
			t.Fatalf("accepted %+v", info)
		}
	})
}
