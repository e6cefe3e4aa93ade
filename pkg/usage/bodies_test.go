package usage

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Response bodies shaped like each provider's API reference. The content
// argument is JSON-escaped into the model's answer, so tests can plant
// key-like text where only a real JSON walk skips it.

func quote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func openAIChatBody(content string) []byte {
	return fmt.Appendf(nil, `{
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": "o3-mini-2025-01-31",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": %s,
        "refusal": null,
        "annotations": []
      },
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {
    "prompt_tokens": 2006,
    "completion_tokens": 300,
    "total_tokens": 2306,
    "prompt_tokens_details": {
      "cached_tokens": 1920,
      "audio_tokens": 0
    },
    "completion_tokens_details": {
      "reasoning_tokens": 192,
      "audio_tokens": 0,
      "accepted_prediction_tokens": 0,
      "rejected_prediction_tokens": 0
    }
  },
  "service_tier": "default",
  "system_fingerprint": "fp_44709d6fcb"
}`, quote(content))
}

func openAIResponsesBody(content string) []byte {
	return fmt.Appendf(nil, `{
  "id": "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41",
  "object": "response",
  "created_at": 1741476777,
  "status": "completed",
  "error": null,
  "incomplete_details": null,
  "instructions": null,
  "max_output_tokens": null,
  "model": "gpt-4o-2024-08-06",
  "output": [
    {
      "type": "message",
      "id": "msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41",
      "status": "completed",
      "role": "assistant",
      "content": [
        {"type": "output_text", "text": %s, "annotations": []}
      ]
    }
  ],
  "parallel_tool_calls": true,
  "previous_response_id": null,
  "reasoning": {"effort": null, "summary": null},
  "store": true,
  "temperature": 1.0,
  "text": {"format": {"type": "text"}},
  "tool_choice": "auto",
  "tools": [],
  "top_p": 1.0,
  "truncation": "disabled",
  "usage": {
    "input_tokens": 328,
    "input_tokens_details": {"cached_tokens": 128},
    "output_tokens": 52,
    "output_tokens_details": {"reasoning_tokens": 20},
    "total_tokens": 380
  },
  "user": null,
  "metadata": {}
}`, quote(content))
}

const openAIEmbeddingsBody = `{
  "object": "list",
  "data": [
    {"object": "embedding", "embedding": [0.0023064255, -0.009327292, -0.0028842222], "index": 0}
  ],
  "model": "text-embedding-3-small",
  "usage": {"prompt_tokens": 8, "total_tokens": 8}
}`

func anthropicBody(content string) []byte {
	return fmt.Appendf(nil, `{
  "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
  "type": "message",
  "role": "assistant",
  "model": "claude-sonnet-4-5-20250929",
  "content": [
    {"type": "thinking", "thinking": "Let me think.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
    {"type": "text", "text": %s}
  ],
  "stop_reason": "end_turn",
  "stop_sequence": null,
  "usage": {
    "input_tokens": 2095,
    "cache_creation_input_tokens": 2051,
    "cache_read_input_tokens": 1024,
    "cache_creation": {"ephemeral_5m_input_tokens": 2051, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 503,
    "service_tier": "standard"
  }
}`, quote(content))
}

func geminiBody(content string) []byte {
	return fmt.Appendf(nil, `{
  "candidates": [
    {
      "content": {
        "parts": [
          {"text": %s}
        ],
        "role": "model"
      },
      "finishReason": "STOP",
      "index": 0
    }
  ],
  "usageMetadata": {
    "promptTokenCount": 4120,
    "candidatesTokenCount": 350,
    "totalTokenCount": 5670,
    "cachedContentTokenCount": 4000,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 4120}],
    "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 4000}],
    "toolUsePromptTokenCount": 0,
    "thoughtsTokenCount": 1200
  },
  "modelVersion": "gemini-2.5-pro",
  "responseId": "mIe7aPvMJqGUxN8Pq4SFuAs"
}`, quote(content))
}

// filler is model-like text of about n bytes with the characters that need
// escaping, and key-like text a naive search would fall for.
func filler(n int) string {
	const piece = "Here is the answer. The field \"usage\": {\"prompt_tokens\": 99999} and " +
		"\"usageMetadata\" are not real.\n\tEnd with a backslash \\ and a quote \".\n"
	return strings.Repeat(piece, n/len(piece)+1)[:n]
}
