package translate

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
)

// Error bodies. Anthropic: {"type":"error","error":{"type","message"}};
// OpenAI: {"error":{"message","type","param","code"}}.
//
//	Anthropic type          OpenAI type / code
//	invalid_request_error   invalid_request_error / null
//	authentication_error    invalid_request_error / invalid_api_key
//	permission_error        invalid_request_error / permission_denied
//	not_found_error         invalid_request_error / not_found
//	request_too_large       invalid_request_error / request_too_large
//	rate_limit_error        requests / rate_limit_exceeded
//	api_error               server_error / null
//	overloaded_error        server_error / overloaded
//
// The other way the OpenAI code decides first (invalid_api_key,
// rate_limit_exceeded, insufficient_quota, model_not_found, ...), then the
// HTTP status (401, 403, 404, 413, 429, 503/529, other 5xx), then the type.

type oaErrorBody struct {
	Error *oaError `json:"error"`
}

type oaError struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Param   json.RawMessage `json:"param"`
	Code    json.RawMessage `json:"code"`
}

type anErrorBody struct {
	Type  string   `json:"type"`
	Error *anError `json:"error"`
}

type anError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func anTypeToOpenAI(t string, status int) (typ, code string) {
	switch t {
	case "invalid_request_error":
		return "invalid_request_error", ""
	case "authentication_error":
		return "invalid_request_error", "invalid_api_key"
	case "permission_error":
		return "invalid_request_error", "permission_denied"
	case "not_found_error":
		return "invalid_request_error", "not_found"
	case "request_too_large":
		return "invalid_request_error", "request_too_large"
	case "rate_limit_error":
		return "requests", "rate_limit_exceeded"
	case "api_error":
		return "server_error", ""
	case "overloaded_error":
		return "server_error", "overloaded"
	}
	if status == 0 {
		return "server_error", ""
	}
	return anTypeToOpenAI(statusToAnthropic(status), 0)
}

func statusToAnthropic(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusPaymentRequired:
		return "billing_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == http.StatusServiceUnavailable, status == 529:
		return "overloaded_error"
	case status == http.StatusGatewayTimeout:
		return "timeout_error"
	case status >= 500:
		return "api_error"
	case status >= 400:
		return "invalid_request_error"
	}
	return ""
}

func oaToAnthropicType(typ, code string, status int) string {
	switch code {
	case "invalid_api_key", "invalid_authentication":
		return "authentication_error"
	case "permission_denied", "unsupported_country_region_territory":
		return "permission_error"
	case "model_not_found", "not_found":
		return "not_found_error"
	case "request_too_large":
		return "request_too_large"
	case "rate_limit_exceeded", "insufficient_quota":
		return "rate_limit_error"
	case "overloaded", "engine_overloaded":
		return "overloaded_error"
	}
	if t := statusToAnthropic(status); t != "" && t != "invalid_request_error" {
		return t
	}
	switch typ {
	case "authentication_error", "permission_error", "not_found_error", "rate_limit_error", "overloaded_error", "api_error":
		return typ
	case "requests", "tokens", "insufficient_quota":
		return "rate_limit_error"
	case "server_error":
		return "api_error"
	}
	if status == 0 && typ != "invalid_request_error" {
		return "api_error"
	}
	return "invalid_request_error"
}

func fallbackMessage(status int) string {
	if t := http.StatusText(status); t != "" {
		return "upstream error: " + strings.ToLower(t)
	}
	return "upstream error"
}

// AnthropicErrorToOpenAI translates an Anthropic error body (answered with
// HTTP status) into an OpenAI error body. An unreadable body gives an error
// chosen by status.
func AnthropicErrorToOpenAI(body []byte, status int) []byte {
	e := readAnthropicError(body, status)
	typ, code := anTypeToOpenAI(e.Type, status)
	return appendOpenAIError(nil, e.Message, typ, code)
}

// OpenAIErrorToAnthropic translates an OpenAI error body (answered with HTTP
// status) into an Anthropic error body.
func OpenAIErrorToAnthropic(body []byte, status int) []byte {
	typ, message := readOpenAIError(body, status)
	return appendAnthropicError(nil, typ, message)
}

// readAnthropicError reads an Anthropic error body; an unreadable one, or
// one without a message, gets a message chosen by status.
func readAnthropicError(body []byte, status int) anError {
	var in anErrorBody
	var e anError
	if json.Unmarshal(body, &in) == nil && in.Error != nil {
		e = *in.Error
	}
	if e.Message == "" {
		e.Message = fallbackMessage(status)
	}
	return e
}

// readOpenAIError reads an OpenAI error body as an Anthropic error type and
// a message (see oaErrorType).
func readOpenAIError(body []byte, status int) (typ, message string) {
	var in oaErrorBody
	var e oaError
	if json.Unmarshal(body, &in) == nil && in.Error != nil {
		e = *in.Error
	}
	return oaErrorType(e, status)
}

// oaErrorType gives an OpenAI error object's Anthropic error type and its
// message, chosen by status when it has none (status is 0 inside a stream).
func oaErrorType(e oaError, status int) (typ, message string) {
	if e.Message == "" {
		e.Message = fallbackMessage(status)
	}
	var code string
	_ = json.Unmarshal(e.Code, &code) // a number or null leaves it empty
	return oaToAnthropicType(e.Type, code, status), e.Message
}

func appendOpenAIError(b []byte, message, typ, code string) []byte {
	b = append(b, `{"error":{"message":`...)
	b = jsonwrite.AppendString(b, message)
	b = append(b, `,"type":`...)
	b = jsonwrite.AppendString(b, typ)
	b = append(b, `,"param":null,"code":`...)
	if code == "" {
		b = append(b, "null"...)
	} else {
		b = jsonwrite.AppendString(b, code)
	}
	return append(b, "}}"...)
}

// AnthropicErrorBody renders Anthropic's error shape with the error type
// Anthropic pairs with an HTTP status, for errors the router answers itself.
func AnthropicErrorBody(status int, message string) []byte {
	return appendAnthropicError(nil, statusToAnthropic(status), message)
}

func appendAnthropicError(b []byte, typ, message string) []byte {
	b = append(b, `{"type":"error","error":{"type":`...)
	b = jsonwrite.AppendString(b, typ)
	b = append(b, `,"message":`...)
	b = jsonwrite.AppendString(b, message)
	return append(b, "}}"...)
}
