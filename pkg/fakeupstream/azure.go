package fakeupstream

import (
	"net/http"
	"strings"
)

// Azure OpenAI serves the OpenAI operations under a deployment:
//
//	POST /openai/deployments/{deployment}/chat/completions?api-version=V
//	POST /openai/deployments/{deployment}/completions?api-version=V
//	POST /openai/deployments/{deployment}/embeddings?api-version=V
//
// with the key in an "api-key" header. Bodies and answers are OpenAI's;
// a missing api-version is refused with 404 as Azure does. Unlike Azure,
// the fake still wants the body's model (the router always sends it).
const azurePrefix = "/openai/deployments/"

func (s *Server) azureRoute(path string) (route, bool) {
	d := &dialect{
		credential:  func(r *http.Request) string { return strings.TrimSpace(r.Header.Get("Api-Key")) },
		appendError: appendOpenAIError,
	}
	rest, _ := strings.CutPrefix(path, azurePrefix)
	deployment, op, ok := strings.Cut(rest, "/")
	if !ok || deployment == "" {
		return route{d: d}, false
	}
	var h func(*exchange)
	switch op {
	case "chat/completions":
		h = (*exchange).chatCompletions
	case "completions":
		h = (*exchange).completions
	case "embeddings":
		h = (*exchange).embeddings
	default:
		return route{d: d}, false
	}
	return route{http.MethodPost, d, func(ex *exchange) {
		if ex.r.URL.Query().Get("api-version") == "" {
			ex.fail(http.StatusNotFound, "Resource not found: the api-version query parameter is required")
			return
		}
		h(ex)
	}}, true
}
