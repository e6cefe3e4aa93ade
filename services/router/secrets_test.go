package router

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
)

// TestNoKeyMaterialInLogsOrErrors drives every kind of outcome and checks
// that no client key and no upstream key appears in a log line (message or
// field) or in a body sent to a client.
func TestNoKeyMaterialInLogsOrErrors(t *testing.T) {
	e := newEnv(t)
	var bodies []string
	run := func(path, body string, hdr map[string]string) {
		res := e.do(http.MethodPost, path, body, hdr)
		bodies = append(bodies, string(res.body))
	}
	for _, k := range clientKeys {
		run("/v1/chat/completions", chatBody, bearer(k))
		run("/v1/chat/completions?key="+k, `{"model":`, nil)
	}
	run("/v1/chat/completions", chatBody, bearer("sk-bc-guess-"+keyAlice))
	run("/v1/chat/completions", miniStream, bearer(keyAlice))
	run("/v1/chat/completions", `{"model":"broken-model","messages":[]}`, bearer(keyAlice))

	// An upstream that echoes its key in a 400 and refuses another key.
	up := &scripted{status: 400, contentType: "application/json",
		answer: []byte(`{"error":{"message":"bad request for key ` + upPrimary + `","type":"invalid_request_error"}}`)}
	withScripted(t, e, up)
	res := e.chat(keyAlice, chatBody)
	if res.status != 400 {
		t.Fatalf("upstream 400 relayed as %d", res.status)
	}
	decodeError(t, res.body)
	bodies = append(bodies, string(res.body))
	twoChannels(e, "cut-after=2", func(c *snapshotv1.Channel) {
		c.Keys = []*snapshotv1.ChannelKey{{Id: "bad", Secret: "sk-up-unknown-SECRET-9999"}, {Id: "good", Secret: upPrimary}}
	})
	run("/v1/chat/completions", miniStream, bearer(keyAlice))
	run("/v1/chat/completions", miniBody, bearer(keyAlice))
	e.sink.WaitFor(len(clientKeys), time.Second)

	secrets := append(append([]string{}, clientKeys...), upstreamKeys...)
	secrets = append(secrets, "sk-up-unknown-SECRET-9999", "SECRET")
	entries := e.logs.All()
	if len(entries) < 10 {
		t.Fatalf("only %d log lines", len(entries))
	}
	for _, entry := range entries {
		line := entry.Message + " " + fmt.Sprint(entry.ContextMap())
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("log line carries key material %q: %s", s, line)
			}
		}
	}
	for _, b := range bodies {
		for _, s := range secrets {
			if strings.Contains(b, s) {
				t.Errorf("client body carries key material %q: %s", s, b)
			}
		}
	}
	// One line per request.
	perRequest := map[string]int{}
	for _, entry := range entries {
		if entry.Message == "request" {
			perRequest[fmt.Sprint(entry.ContextMap()["request_id"])]++
		}
	}
	for id, n := range perRequest {
		if n != 1 {
			t.Errorf("request %s logged %d times", id, n)
		}
	}
}
