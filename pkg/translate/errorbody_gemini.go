package translate

import (
	"encoding/json"
	"net/http"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
)

// Gemini error bodies: {"error":{"code":<HTTP status>,"message","status":
// <google.rpc.Code name>,"details":[...]}}. Translation goes through the
// Anthropic error types (see errorbody.go for OpenAI's side):
//
//	Gemini status (code)                         Anthropic type
//	INVALID_ARGUMENT, FAILED_PRECONDITION,       invalid_request_error
//	  OUT_OF_RANGE (400)                           (authentication_error when
//	                                               a detail says API_KEY_INVALID)
//	UNAUTHENTICATED (401)                        authentication_error
//	PERMISSION_DENIED (403)                      permission_error
//	NOT_FOUND (404)                              not_found_error
//	RESOURCE_EXHAUSTED (429)                     rate_limit_error
//	UNAVAILABLE (503)                            overloaded_error
//	INTERNAL, UNKNOWN, DEADLINE_EXCEEDED, ...    api_error
//
// The HTTP status refines a generic status (413 gives request_too_large).
// Towards Gemini, code is the HTTP status the answer carries (the type's
// usual one inside a stream), and a generic type takes the status's name.

type gmErrorBody struct {
	Error *gmError `json:"error"`
}

type gmError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []struct {
		Reason string `json:"reason"`
	} `json:"details"`
}

// gmStatusName is the google.rpc.Code name Google's APIs answer an HTTP
// status with.
func gmStatusName(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case status == http.StatusPaymentRequired, status == http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case status == http.StatusForbidden:
		return "PERMISSION_DENIED"
	case status == http.StatusNotFound:
		return "NOT_FOUND"
	case status == http.StatusConflict:
		return "ABORTED"
	case status == 499:
		return "CANCELLED"
	case status == http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == 529:
		return "UNAVAILABLE"
	case status == http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	case status >= 500:
		return "INTERNAL"
	case status >= 400:
		return "INVALID_ARGUMENT"
	}
	return "UNKNOWN"
}

// anTypeToGemini gives the status name and usual HTTP status of an
// Anthropic error type.
func anTypeToGemini(t string) (string, int) {
	switch t {
	case "invalid_request_error":
		return "INVALID_ARGUMENT", http.StatusBadRequest
	case "authentication_error":
		return "UNAUTHENTICATED", http.StatusUnauthorized
	case "permission_error":
		return "PERMISSION_DENIED", http.StatusForbidden
	case "not_found_error":
		return "NOT_FOUND", http.StatusNotFound
	case "request_too_large":
		return "INVALID_ARGUMENT", http.StatusRequestEntityTooLarge
	case "rate_limit_error", "billing_error":
		return "RESOURCE_EXHAUSTED", http.StatusTooManyRequests
	case "overloaded_error":
		return "UNAVAILABLE", http.StatusServiceUnavailable
	case "timeout_error":
		return "DEADLINE_EXCEEDED", http.StatusGatewayTimeout
	}
	return "INTERNAL", http.StatusInternalServerError
}

func gmToAnthropicType(e *gmError, status int) string {
	if status == 0 {
		status = e.Code
	}
	switch e.Status {
	case "UNAUTHENTICATED":
		return "authentication_error"
	case "PERMISSION_DENIED":
		return "permission_error"
	case "NOT_FOUND":
		return "not_found_error"
	case "RESOURCE_EXHAUSTED":
		return "rate_limit_error"
	case "UNAVAILABLE":
		return "overloaded_error"
	case "INTERNAL", "UNKNOWN", "DATA_LOSS", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "CANCELLED", "ABORTED":
		return "api_error"
	case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE", "ALREADY_EXISTS":
		for _, d := range e.Details {
			if d.Reason == "API_KEY_INVALID" {
				return "authentication_error"
			}
		}
		if t := statusToAnthropic(status); t != "" && status < 500 {
			return t
		}
		return "invalid_request_error"
	}
	if t := statusToAnthropic(status); t != "" {
		return t
	}
	return "api_error"
}

func readGeminiError(body []byte, status int) gmError {
	var in gmErrorBody
	var e gmError
	if json.Unmarshal(body, &in) == nil && in.Error != nil {
		e = *in.Error
	}
	if e.Message == "" {
		e.Message = fallbackMessage(status)
	}
	return e
}

// GeminiErrorToOpenAI translates a Gemini error body (answered with HTTP
// status) into an OpenAI error body. An unreadable body gives an error
// chosen by status.
func GeminiErrorToOpenAI(body []byte, status int) []byte {
	e := readGeminiError(body, status)
	typ, code := anTypeToOpenAI(gmToAnthropicType(&e, status), 0)
	return appendOpenAIError(nil, e.Message, typ, code)
}

// GeminiErrorToAnthropic translates a Gemini error body (answered with HTTP
// status) into an Anthropic error body.
func GeminiErrorToAnthropic(body []byte, status int) []byte {
	e := readGeminiError(body, status)
	return appendAnthropicError(nil, gmToAnthropicType(&e, status), e.Message)
}

// OpenAIErrorToGemini translates an OpenAI error body (answered with HTTP
// status, 0 inside a stream) into a Gemini error body.
func OpenAIErrorToGemini(body []byte, status int) []byte {
	typ, message := readOpenAIError(body, status)
	return geminiErrorFor(nil, typ, status, message)
}

// AnthropicErrorToGemini translates an Anthropic error body (answered with
// HTTP status, 0 inside a stream) into a Gemini error body.
func AnthropicErrorToGemini(body []byte, status int) []byte {
	e := readAnthropicError(body, status)
	if e.Type == "" {
		e.Type = statusToAnthropic(status)
	}
	return geminiErrorFor(nil, e.Type, status, e.Message)
}

// GeminiErrorBody renders Google's error shape for an HTTP status, for
// errors the router answers itself.
func GeminiErrorBody(status int, message string) []byte {
	return appendGeminiError(nil, status, message, gmStatusName(status))
}

func geminiErrorFor(b []byte, anType string, status int, message string) []byte {
	name, code := anTypeToGemini(anType)
	if status > 0 {
		code = status
		if anType == "api_error" || anType == "invalid_request_error" {
			name = gmStatusName(status) // the status says more than the generic type
		}
	}
	return appendGeminiError(b, code, message, name)
}

func appendGeminiError(b []byte, code int, message, status string) []byte {
	b = appendInt(append(b, `{"error":{"code":`...), int64(code))
	b = jsonwrite.AppendString(append(b, `,"message":`...), message)
	b = jsonwrite.AppendString(append(b, `,"status":`...), status)
	return append(b, "}}"...)
}
