package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/services/control/declarative"
)

// The demo's names, stable so that applying the demo again changes nothing.
const (
	DemoChannel = "demo-fake-upstream"
	DemoUser    = "demo"
	DemoToken   = "demo"
	DemoModel   = "demo-model"
)

// demoModels are the client-facing models the demo channel serves.
var demoModels = []string{DemoModel, "gpt-4o-mini", "demo-claude", "demo-gemini"}

// demoDocument is the declarative file of the demo: channels to the
// built-in fake upstream in each protocol it speaks (OpenAI, Anthropic,
// Gemini), priced models and a user with one key. The
// fake accepts any upstream key, so the channel's is not a secret. The
// gpt-4o-mini prices are those of the default catalogue.
func demoDocument(fakeBaseURL, demoKey string) string {
	root := strings.TrimSuffix(fakeBaseURL, "/v1") // Anthropic's and Gemini's base URLs carry no version
	return fmt.Sprintf(`channels:
  - name: %[1]s
    type: openai
    base_url: %[2]s
    keys: ["fake-upstream-key"]
    models: [%[3]s, gpt-4o-mini]
    groups: [default]
  - name: demo-anthropic
    type: anthropic
    base_url: %[4]s
    keys: ["fake-upstream-key"]
    models: [demo-claude]
  - name: demo-gemini
    type: gemini
    base_url: %[4]s
    keys: ["fake-upstream-key"]
    models: [demo-gemini]
models:
  - name: %[3]s
    input: "1.00"
    output: "2.00"
    max_output_tokens: 4096
  - name: gpt-4o-mini
    input: "0.15"
    output: "0.60"
    cache_read: "0.075"
    max_output_tokens: 16384
  - {name: demo-claude, input: "3.00", output: "15.00", max_output_tokens: 8192}
  - {name: demo-gemini, input: "0.30", output: "2.50", max_output_tokens: 8192}
users:
  - name: %[5]s
    role: user
    tokens:
      - name: %[6]s
        key: %[7]q
`, DemoChannel, fakeBaseURL, DemoModel, root, DemoUser, DemoToken, demoKey)
}

// applyDemo makes the store hold the demo, in one transaction, the way
// `burncloud apply` would, and returns how many changes that took. A later
// start finds nothing to change except the fake's base URL, whose port is
// new each time.
func applyDemo(ctx context.Context, st store.Store, secret, fakeBaseURL, demoKey string, log *zap.Logger) (int, error) {
	f, err := declarative.Parse([]byte(demoDocument(fakeBaseURL, demoKey)))
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	keys, err := secrets.New([]byte(secret))
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	sealer := declarative.NewKeyringSealer(keys)
	var res declarative.Result
	err = st.InTx(ctx, func(tx store.Tx) error {
		res, err = declarative.Apply(ctx, tx, f, declarative.Options{}, sealer)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	for _, c := range res.Changes {
		log.Info("applied", zap.String("kind", c.GetKind()), zap.String("name", c.GetName()), zap.String("action", c.GetAction().String()))
	}
	return len(res.Changes), nil
}

// startDemoUpstream serves the fake upstream on a random loopback port of its own:
// the one private address the demo lets the router reach.
func startDemoUpstream() (*fakeupstream.Running, error) {
	return fakeupstream.New(fakeupstream.Options{}).Listen("127.0.0.1:0")
}

// egressDispatch sends requests for exactly one host (the fake upstream's
// literal loopback address) through a transport that may dial loopback, and
// every other request through the guarded one. Matching the literal
// host:port means no name can be made to resolve into the exemption.
type egressDispatch struct {
	host    string
	allowed http.RoundTripper
	guarded http.RoundTripper
}

func (d *egressDispatch) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == d.host {
		return d.allowed.RoundTrip(r)
	}
	return d.guarded.RoundTrip(r)
}
