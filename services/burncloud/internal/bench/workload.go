package bench

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
)

// workload is one kind of request: a fake-upstream scenario and whether
// the client asks for a stream. Each has a priced model of its own in the
// router, served by a channel whose base URL carries the scenario, so the
// three targets get byte-identical answers.
type workload struct {
	Name     string `json:"name"`
	Scenario string `json:"scenario"`
	Stream   bool   `json:"stream"`
	// Doc says what it models, for the report.
	Doc string `json:"doc"`
}

// The workloads. Scenario strings follow pkg/fakeupstream's grammar; the
// JSON ones carry the fake's own time for each request in the answer
// (timing), so the report can take it out of each request's latency.
var (
	wlJSON1K   = workload{Name: "json-1kb", Scenario: "body=1kb,timing", Doc: "chat completion, 1 KB answer, no upstream delay"}
	wlJSON10K  = workload{Name: "json-10kb", Scenario: "body=10kb,timing", Doc: "chat completion, 10 KB answer, no upstream delay"}
	wlJSON20ms = workload{Name: "json-1kb-20ms", Scenario: "latency=20ms,body=1kb,timing", Doc: "chat completion, 1 KB answer after 20 ms"}
	wlSSE      = workload{Name: "sse", Scenario: "chunks=20,pace=5ms", Stream: true, Doc: "streamed chat completion, 20 content events 5 ms apart"}
	// wlIdle opens a stream, delivers its first content event at once and
	// then stays silent for ten minutes: an open, idle stream.
	wlIdle = workload{Name: "idle-stream", Scenario: "chunks=2,pace=10m", Stream: true, Doc: "streamed chat completion that goes idle after its first event"}
)

func allWorkloads() []workload { return []workload{wlJSON1K, wlJSON10K, wlJSON20ms, wlSSE, wlIdle} }

// model is the router's model name for w.
func (w workload) model() string { return "bench-" + w.Name }

// prompt is the user message every request carries: about 60 words.
var prompt = strings.Repeat("Summarise the benchmark results in one short paragraph please. ", 6)

// body is the JSON request body for w. Streams ask for usage themselves, so
// the router adds nothing and all three targets see the same upstream bytes.
func (w workload) body() []byte {
	var b bytes.Buffer
	b.WriteString(`{"model":"`)
	b.WriteString(w.model())
	b.WriteString(`","messages":[{"role":"user","content":"`)
	b.WriteString(prompt)
	b.WriteString(`"}]`)
	if w.Stream {
		b.WriteString(`,"stream":true,"stream_options":{"include_usage":true}`)
	}
	b.WriteString("}")
	return b.Bytes()
}

// Target names, in report order.
const (
	targetDirect = "direct"
	targetProxy  = "proxy"
	targetRouter = "router"
)

var targetNames = []string{targetDirect, targetProxy, targetRouter}

// endpoint is where one target is reached for one workload.
type endpoint struct {
	url    string
	header http.Header
	body   []byte
}

// endpoints are the three targets' addresses. Direct and proxy select the
// scenario by path, the router by model name.
type endpoints struct {
	fakeURL, proxyURL, routerURL string
	key                          string
}

func (e endpoints) of(target string, w workload) endpoint {
	h := http.Header{
		"Authorization": {"Bearer " + e.key},
		"Content-Type":  {"application/json"},
	}
	var url string
	switch target {
	case targetDirect:
		url = fakeupstream.BaseURL(e.fakeURL, w.Scenario) + "/chat/completions"
	case targetProxy:
		url = fakeupstream.BaseURL(e.proxyURL, w.Scenario) + "/chat/completions"
	default:
		url = e.routerURL + "/v1/chat/completions"
	}
	return endpoint{url: url, header: h, body: w.body()}
}

func (e endpoint) request() (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(e.body))
	if err != nil {
		return nil, err
	}
	req.Header = e.header.Clone()
	return req, nil
}
