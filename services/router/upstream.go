package router

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/translate"
	"github.com/burncloud/burncloud/services/router/snapshot"
)

// forwardedHeaders are the only client headers sent upstream: what the
// official SDKs send about the request itself. Credentials, cookies,
// forwarding headers and the client's OpenAI organization or project never
// leave the router.
var forwardedHeaders = [...]string{
	"Content-Type",
	"User-Agent",
	"Idempotency-Key",
	"X-Stainless-Arch",
	"X-Stainless-Async",
	"X-Stainless-Lang",
	"X-Stainless-Os",
	"X-Stainless-Package-Version",
	"X-Stainless-Retry-Count",
	"X-Stainless-Runtime",
	"X-Stainless-Runtime-Version",
	"X-Stainless-Timeout",
}

// passthroughHeaders are protocol headers forwarded only when the client
// and the channel speak the same protocol.
var passthroughHeaders = [...]string{"Accept", "Openai-Beta", "Anthropic-Beta"}

const (
	// anthropicVersion is sent to Anthropic channels when the client did
	// not choose one (a translated request).
	anthropicVersion = "2023-06-01"
	// azureAPIVersion is used for Azure channels that set none.
	azureAPIVersion = "2024-10-21"
)

var errVertexCredentials = errors.New("vertex channel key is not usable")

// prepare sets the attempt's protocol and translators for ch and returns
// the body to send it. A request the channel's protocol cannot express
// returns the translator's error.
func (c *call) prepare(ch *snapshot.Channel) ([]byte, error) {
	c.up = protocolOf(ch.Type)
	c.upstreamModel = ch.UpstreamModel(c.req.Model)
	c.translated = c.up != c.op.surface
	if !c.translated {
		if c.op.surface == translate.Gemini {
			if c.op == opBatchEmbed && c.upstreamModel != c.req.Model {
				return c.renameBatchModel(), nil
			}
			return c.body, nil // the model is in the URL
		}
		body := c.req.Rewrite(c.upBuf, c.body, c.upstreamModel, c.hideUsage)
		if len(body) > 0 && len(c.body) > 0 && &body[0] != &c.body[0] {
			c.upBuf = body
		}
		return body, nil
	}
	b, ok := translate.BridgeFor(c.op.surface, c.up)
	if !ok {
		return nil, errNoChannel // the plan only offers channels op.serves
	}
	c.bridge = b
	return b.Request(c.body, translate.Options{
		Model:            c.upstreamModel,
		DefaultMaxTokens: c.model.Price.MaxOutputTokens,
		Stream:           c.stream,
	})
}

// newUpstreamRequest builds the attempt's request: the URL for the
// channel's type and layout, the forwarded headers and its credentials.
func (c *call) newUpstreamRequest(ctx context.Context, r *http.Request, ch *snapshot.Channel, key snapshot.Key, body []byte) (*http.Request, error) {
	// The URL is set below: laid out from the channel's parsed base URL,
	// not parsed again on every request.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "", nil)
	if err != nil {
		return nil, err
	}
	b := c.attemptBody(body)
	if err := c.upstreamURL(ch, b.u); err != nil {
		b.abandon()
		return nil, err
	}
	b.u.Host = strings.TrimSuffix(b.u.Host, ":") // an empty port, as NewRequest drops it
	req.URL, req.Host = b.u, b.u.Host
	req.Body, req.GetBody, req.ContentLength = b.body, b.again, int64(len(body))
	for _, k := range forwardedHeaders {
		if v, ok := r.Header[k]; ok {
			req.Header[k] = v
		}
	}
	if !c.translated {
		for _, k := range passthroughHeaders {
			if v, ok := r.Header[k]; ok {
				req.Header[k] = v
			}
		}
	}
	if _, ok := req.Header[hdrContentType]; !ok || c.translated {
		req.Header[hdrContentType] = []string{"application/json"}
	}
	req.Header["X-Client-Request-Id"] = c.idValue
	switch ch.Type {
	case adminv1.ChannelType_CHANNEL_TYPE_AZURE:
		req.Header["Api-Key"] = []string{key.Secret}
	case adminv1.ChannelType_CHANNEL_TYPE_ANTHROPIC:
		req.Header[hdrAPIKey] = []string{key.Secret}
		v := anthropicVersion
		if !c.translated {
			v = orDefault(r.Header.Get("Anthropic-Version"), anthropicVersion)
		}
		req.Header["Anthropic-Version"] = []string{v}
	case adminv1.ChannelType_CHANNEL_TYPE_GEMINI:
		req.Header[hdrGoogAPIKey] = []string{key.Secret}
	case adminv1.ChannelType_CHANNEL_TYPE_VERTEX:
		auth, err := c.s.vertex.Authorization(ctx, key.Secret)
		if err != nil {
			b.abandon()
			return nil, errors.Join(errVertexCredentials, err)
		}
		req.Header[hdrAuth] = []string{auth}
	default:
		req.Header[hdrAuth] = key.Bearer
	}
	return req, nil
}

// upstreamURL lays out the attempt's URL by channel type (DESIGN §3.5) in u.
func (c *call) upstreamURL(ch *snapshot.Channel, u *url.URL) error {
	path := upstreamPath(c.op, c.up, c.stream)
	var rest string
	switch ch.Type {
	case adminv1.ChannelType_CHANNEL_TYPE_AZURE:
		rest = "/openai/deployments/" + url.PathEscape(c.upstreamModel) + path +
			"?api-version=" + url.QueryEscape(orDefault(ch.APIVersion, azureAPIVersion))
	case adminv1.ChannelType_CHANNEL_TYPE_GEMINI:
		rest = "/v1beta/models/" + url.PathEscape(c.upstreamModel) + ":" + path + sseQuery(c.stream)
	case adminv1.ChannelType_CHANNEL_TYPE_VERTEX:
		rest = "/v1/projects/" + url.PathEscape(ch.Project) + "/locations/" + url.PathEscape(ch.Location) +
			"/publishers/google/models/" + url.PathEscape(c.upstreamModel) + ":" + path + sseQuery(c.stream)
	default:
		// A fixed path with nothing to escape: appended to the base's
		// decoded and encoded forms alike.
		*u = ch.Base
		u.Path += path
		if u.RawPath != "" {
			u.RawPath += path
		}
		return nil
	}
	// Escaped names and a query: the whole URL is parsed.
	p, err := url.Parse(ch.BaseURL + rest)
	if err != nil {
		return err
	}
	*u = *p
	return nil
}

func sseQuery(stream bool) string {
	if stream {
		return "?alt=sse"
	}
	return ""
}

// renameBatchModel rewrites the requests[].model of a batchEmbedContents
// body ("models/NAME", which Google checks against the URL's) to the
// upstream name. An unescaped quote cannot occur inside a JSON string, so
// the quoted name matches whole string tokens only, never prompt text.
func (c *call) renameBatchModel() []byte {
	from := `"models/` + c.req.Model + `"`
	to := `"models/` + c.upstreamModel + `"`
	return bytes.ReplaceAll(c.body, []byte(from), []byte(to))
}
