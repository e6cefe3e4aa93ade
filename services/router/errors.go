package router

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/translate"
	"github.com/burncloud/burncloud/services/router/limits"
	"github.com/burncloud/burncloud/services/router/requestbody"
)

// Request-path errors. Each maps to one status and one OpenAI error at the
// boundary (apiErrorOf); their texts are written for clients and never
// carry internal detail.
var (
	errMissingKey      = errors.New("missing API key: pass it as Authorization: Bearer, x-api-key, x-goog-api-key or ?key=")
	errInvalidKey      = errors.New("invalid API key")
	errExpiredKey      = errors.New("API key expired")
	errDisabledKey     = errors.New("API key or its user is disabled")
	errBodyTooLarge    = errors.New("request body too large")
	errBadTier         = errors.New("x-burncloud-tier must be batch, priority or standard")
	errUnknownModel    = errors.New("model not found")
	errUnpricedModel   = errors.New("model has no price and cannot be used")
	errModelNotAllowed = errors.New("this API key may not use the model")
	errQuotaExhausted  = errors.New("quota exhausted")
	errNoChannel       = errors.New("no upstream channel is available for the model")
	errUpstreamFailed  = errors.New("every upstream attempt failed")
	errNotReady        = errors.New("router is starting: no snapshot yet")
	errClientGone      = errors.New("client closed the request")
	errUnknownPath     = errors.New("unknown API path")
	errNeedsSSE        = errors.New("streamGenerateContent is served as server-sent events only: add alt=sse")
)

// statusClientClosed is what the event records when the client left first
// (nginx's convention; never written to a client).
const statusClientClosed = 499

// apiError is an error as the client sees it.
type apiError struct {
	status  int
	typ     string
	code    string
	message string
	// class is the usage event's error class.
	class string
}

var apiErrors = []struct {
	err error
	api apiError
}{
	{errMissingKey, apiError{http.StatusUnauthorized, "invalid_request_error", "missing_api_key", "", "unauthenticated"}},
	{errInvalidKey, apiError{http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "", "unauthenticated"}},
	{errExpiredKey, apiError{http.StatusUnauthorized, "invalid_request_error", "expired_api_key", "", "unauthenticated"}},
	{errDisabledKey, apiError{http.StatusUnauthorized, "invalid_request_error", "disabled_api_key", "", "unauthenticated"}},
	{errBodyTooLarge, apiError{http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "", "body_too_large"}},
	{errBadTier, apiError{http.StatusBadRequest, "invalid_request_error", "invalid_service_tier", "", "bad_request"}},
	{translate.ErrUnsupported, apiError{http.StatusBadRequest, "invalid_request_error", "unsupported_feature", "", "unsupported_feature"}},
	{translate.ErrInvalidRequest, apiError{http.StatusBadRequest, "invalid_request_error", "invalid_request_body", "", "bad_request"}},
	{translate.ErrNoMaxTokens, apiError{http.StatusBadRequest, "invalid_request_error", "invalid_request_body", "", "bad_request"}},
	{errNeedsSSE, apiError{http.StatusBadRequest, "invalid_request_error", "invalid_request", "", "bad_request"}},
	{requestbody.ErrMalformed, apiError{http.StatusBadRequest, "invalid_request_error", "invalid_request_body", "", "bad_request"}},
	{errUnpricedModel, apiError{http.StatusBadRequest, "invalid_request_error", "model_not_priced", "", "model_not_priced"}},
	{errQuotaExhausted, apiError{http.StatusPaymentRequired, "insufficient_quota", "insufficient_quota", "", "quota_exhausted"}},
	{errModelNotAllowed, apiError{http.StatusForbidden, "permission_error", "model_not_allowed", "", "model_not_allowed"}},
	{errUnknownModel, apiError{http.StatusNotFound, "invalid_request_error", "model_not_found", "", "model_not_found"}},
	{errUnknownPath, apiError{http.StatusNotFound, "invalid_request_error", "unknown_url", "", "unknown_url"}},
	{errUpstreamFailed, apiError{http.StatusBadGateway, "server_error", "upstream_error", "", "upstream_error"}},
	{errNoChannel, apiError{http.StatusServiceUnavailable, "server_error", "no_channel_available", "", "no_channel"}},
	{errNotReady, apiError{http.StatusServiceUnavailable, "server_error", "not_ready", "", "not_ready"}},
	{errClientGone, apiError{statusClientClosed, "invalid_request_error", "client_closed_request", "", "client_gone"}},
}

var internalError = apiError{http.StatusInternalServerError, "server_error", "internal_error", "internal error", "internal"}

// apiErrorOf is the one place internal errors become HTTP. An error the
// table does not know is internal: the client learns nothing about it.
func apiErrorOf(err error) apiError {
	var ref *limits.Refusal
	if errors.As(err, &ref) {
		return refusalError(ref)
	}
	for _, e := range apiErrors {
		if errors.Is(err, e.err) {
			a := e.api
			a.message = e.err.Error()
			var fe *requestbody.FieldError
			var ue *translate.UnsupportedError
			var te *translate.FieldError
			switch {
			case errors.As(err, &fe):
				a.message = fe.Error() // names the field, never quotes the body
			case errors.As(err, &ue), errors.As(err, &te):
				a.message = strings.TrimPrefix(err.Error(), "translate: ")
			}
			return a
		}
	}
	return internalError
}

// refusalError names the limit that refused the request, and when to
// retry or what is left of the balance.
func refusalError(ref *limits.Refusal) apiError {
	switch status := ref.Status(); status {
	case http.StatusPaymentRequired:
		return apiError{status: status, typ: "insufficient_quota", code: "insufficient_quota", class: "quota_exhausted",
			message: "quota exhausted (" + string(ref.Limit) + "): " + pricing.FormatUSD(ref.Remaining) +
				" USD remaining does not cover the request's maximum cost"}
	case http.StatusTooManyRequests:
		return apiError{status: status, typ: "rate_limit_error", code: "rate_limit_exceeded", class: "rate_limited",
			message: "rate limit exceeded (" + string(ref.Limit) + "): retry after " + retryAfterOf(ref) + "s"}
	default:
		return apiError{status: http.StatusServiceUnavailable, typ: "server_error", code: "limits_unavailable",
			class:   "limits_unavailable",
			message: "limit " + string(ref.Limit) + " cannot be checked right now: retry after " + retryAfterOf(ref) + "s"}
	}
}

// retryAfterOf is the Retry-After of a refusal, "" for a quota refusal
// (waiting does not refill a balance).
func retryAfterOf(ref *limits.Refusal) string {
	if ref.Status() == http.StatusPaymentRequired {
		return ""
	}
	return strconv.FormatInt(ref.RetryAfterSeconds(), 10)
}

// appendErrorBody writes {"error":{"message","type","code"}}.
func appendErrorBody(b []byte, a apiError) []byte {
	b = append(b, `{"error":{"message":`...)
	b = jsonwrite.AppendString(b, a.message)
	b = append(b, `,"type":`...)
	b = jsonwrite.AppendString(b, a.typ)
	b = append(b, `,"code":`...)
	b = jsonwrite.AppendString(b, a.code)
	return append(b, "}}\n"...)
}

// writeAPIError answers a in the shape of the surface's protocol.
func writeAPIError(w http.ResponseWriter, surface translate.Protocol, a apiError) {
	var body []byte
	switch surface {
	case translate.Anthropic:
		body = translate.AnthropicErrorBody(a.status, a.message)
	case translate.Gemini:
		body = translate.GeminiErrorBody(a.status, a.message)
	default:
		body = appendErrorBody(make([]byte, 0, 160), a)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(a.status)
	_, _ = w.Write(body)
}
