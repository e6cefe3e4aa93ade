package translate

import (
	"fmt"
	"testing"
)

// The Gemini fixtures live in testdata/<client>_client_<upstream>/ and run
// through the bridge registry, so they test what the router resolves.
const (
	oaGm = "openai_client_gemini"
	anGm = "anthropic_client_gemini"
	gmOa = "gemini_client_openai"
	gmAn = "gemini_client_anthropic"
)

var geminiRouteNames = []string{oaGm, anGm, gmOa, gmAn}

var geminiRoutes = map[string][2]Protocol{
	oaGm: {OpenAI, Gemini},
	anGm: {Anthropic, Gemini},
	gmOa: {Gemini, OpenAI},
	gmAn: {Gemini, Anthropic},
}

// geminiRouteTitle names a route's column in docs/compatibility.md.
func geminiRouteTitle(route string) string {
	pair := geminiRoutes[route]
	return protocolTitle(pair[0]) + " client → " + protocolTitle(pair[1])
}

func protocolTitle(p Protocol) string {
	switch p {
	case OpenAI:
		return "OpenAI"
	case Anthropic:
		return "Anthropic"
	}
	return "Gemini"
}

func bridgeFor(t testing.TB, route string) Bridge {
	pair := geminiRoutes[route]
	b, ok := BridgeFor(pair[0], pair[1])
	if !ok {
		t.Fatalf("no bridge for %s", route)
	}
	return b
}

// runBridge translates a fixture's input with the registered bridge.
func runBridge(pair [2]Protocol, fx fixture) ([]byte, error) {
	b, ok := BridgeFor(pair[0], pair[1])
	if !ok {
		return nil, fmt.Errorf("no bridge for %v", pair)
	}
	o := fx.Options
	switch fx.Kind {
	case "request":
		return b.Request(fx.Input, o.translate())
	case "response":
		return b.Response(fx.Input, o.Model)
	case "error":
		return b.Error(fx.Input, o.Status), nil
	case "stream":
		return runStream(b.Stream(o.Model, o.IncludeUsage), fx.Input)
	}
	return nil, fmt.Errorf("unknown kind %q", fx.Kind)
}

func TestGoldenGemini(t *testing.T) { testGolden(t, geminiRouteNames, true) }
