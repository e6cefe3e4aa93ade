package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// printBanner tells a newcomer where the gateway is and how to call it. The
// admin key is shown only on the start that generated it; later starts
// point at its file. The demo key is shown every time: it is what the
// snippets use.
func (g *devGateway) printBanner(out io.Writer) {
	dir := shortPath(g.dir)
	keyFile := filepath.Join(dir, AdminKeyFile)
	var b strings.Builder
	fmt.Fprintf(&b, "\nBurnCloud dev gateway is ready.\n\n")
	fmt.Fprintf(&b, "  URL          %s   (OpenAI base URL %s/v1)\n", g.baseURL, g.baseURL)
	if slices.Contains(g.secrets.created, AdminKeyFile) {
		fmt.Fprintf(&b, "  Admin key    %s   (saved in %s)\n", g.secrets.AdminKey, keyFile)
	} else {
		fmt.Fprintf(&b, "  Admin key    in %s\n", keyFile)
	}
	fmt.Fprintf(&b, "  Data folder  %s   (store: %s)\n", dir, g.store)
	fmt.Fprintf(&b, "  NATS         %s   (for burncloud audit: %s=%s)\n", g.nats.URL(), EnvNATSURL, g.nats.URL())

	key := "$(cat " + keyFile + ")"
	model := "gpt-4o-mini"
	if g.demo {
		key, model = g.secrets.DemoKey, DemoModel
		fmt.Fprintf(&b, "\nDemo: channel %q → the built-in fake upstream, models %s,\n", DemoChannel, strings.Join(demoModels, ", "))
		fmt.Fprintf(&b, "      user %q with the API key\n\n        %s\n", DemoUser, g.secrets.DemoKey)
	} else {
		fmt.Fprintf(&b, "\nNo channel yet: add one with `burncloud apply -f FILE` or start with --demo.\n")
	}
	fmt.Fprintf(&b, `
Try it:

  curl %[1]s/v1/chat/completions \
    -H "Authorization: Bearer %[2]s" \
    -H "Content-Type: application/json" \
    -d '{"model": "%[3]s", "messages": [{"role": "user", "content": "Hello!"}]}'

  # Python, pip install openai
  from openai import OpenAI
  client = OpenAI(base_url="%[1]s/v1", api_key="%[4]s")
  reply = client.chat.completions.create(model="%[3]s", messages=[{"role": "user", "content": "Hello!"}])
  print(reply.choices[0].message.content)

  burncloud chat --model %[3]s   # a terminal chat through the gateway
  burncloud usage --by model   # settled usage and cost

`, g.baseURL, key, model, pythonKey(key, keyFile))
	_, _ = io.WriteString(out, b.String())
}

// pythonKey is the api_key the Python snippet shows: the key itself, or a
// pointer to its file when the key is not printed.
func pythonKey(key, keyFile string) string {
	if strings.HasPrefix(key, "$(") {
		return "<the key in " + keyFile + ">"
	}
	return key
}
