package translate

import "encoding/json"

// Options steer a request translation.
type Options struct {
	// Model replaces the request's model name (the upstream name of the
	// channel); empty keeps the client's name.
	Model string
	// DefaultMaxTokens is the model's max_output_tokens. Anthropic requires
	// max_tokens; it is used when an OpenAI request sets no limit.
	DefaultMaxTokens int64
	// AdaptiveThinking maps reasoning_effort to adaptive thinking with
	// output_config.effort (newer Claude models) instead of a fixed
	// thinking budget; towards Gemini it writes thinkingLevel (Gemini 3)
	// instead of thinkingBudget, and lets Gemini's dynamic thinking
	// (thinkingBudget -1) become Anthropic's adaptive thinking.
	AdaptiveThinking bool
	// LegacyMaxTokens writes max_tokens instead of max_completion_tokens
	// to OpenAI-compatible upstreams that only know the older field.
	LegacyMaxTokens bool
	// Stream is the target request's stream flag when the source carries
	// it outside the body (Gemini puts it in the URL method).
	Stream bool
}

// Anthropic Messages shapes written by the translators.

type anRequest struct {
	Model         string          `json:"model"`
	MaxTokens     int64           `json:"max_tokens"`
	System        any             `json:"system,omitempty"` // string or []anBlock
	Messages      []anMessage     `json:"messages"`
	Metadata      *anMetadata     `json:"metadata,omitempty"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	Temperature   json.RawMessage `json:"temperature,omitempty"`
	TopP          json.RawMessage `json:"top_p,omitempty"`
	TopK          json.RawMessage `json:"top_k,omitempty"`
	Tools         []anTool        `json:"tools,omitempty"`
	ToolChoice    *anToolChoice   `json:"tool_choice,omitempty"`
	Thinking      *anThinking     `json:"thinking,omitempty"`
	OutputConfig  *anOutputConfig `json:"output_config,omitempty"`
	ServiceTier   string          `json:"service_tier,omitempty"`
}

type anMetadata struct {
	UserID string `json:"user_id"`
}

type anMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"` // string or []anBlock
}

// anBlock is the union of the content blocks the translators write.
type anBlock struct {
	Type         string          `json:"type"`
	Text         *string         `json:"text,omitempty"`
	Source       *anSource       `json:"source,omitempty"`
	ID           string          `json:"id,omitempty"`
	Name         string          `json:"name,omitempty"`
	Input        json.RawMessage `json:"input,omitempty"`
	ToolUseID    string          `json:"tool_use_id,omitempty"`
	Content      any             `json:"content,omitempty"` // tool_result: string or []anBlock
	IsError      bool            `json:"is_error,omitempty"`
	Thinking     *string         `json:"thinking,omitempty"`
	Signature    *string         `json:"signature,omitempty"`
	Data         string          `json:"data,omitempty"`
	Title        string          `json:"title,omitempty"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type anSource struct {
	Type      string `json:"type"` // base64 | url
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type anTool struct {
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"input_schema"`
	Strict       *bool           `json:"strict,omitempty"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type anToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

type anThinking struct {
	Type         string `json:"type"`
	BudgetTokens int64  `json:"budget_tokens,omitempty"`
}

type anOutputConfig struct {
	Effort string    `json:"effort,omitempty"`
	Format *anFormat `json:"format,omitempty"`
}

type anFormat struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema"`
}

// OpenAI Chat Completions shapes written by the translators.

type oaRequest struct {
	Model               string           `json:"model"`
	Messages            []oaMessage      `json:"messages"`
	MaxTokens           int64            `json:"max_tokens,omitempty"`
	MaxCompletionTokens int64            `json:"max_completion_tokens,omitempty"`
	Stop                []string         `json:"stop,omitempty"`
	Stream              bool             `json:"stream,omitempty"`
	StreamOptions       *oaStreamOptions `json:"stream_options,omitempty"`
	Temperature         json.RawMessage  `json:"temperature,omitempty"`
	TopP                json.RawMessage  `json:"top_p,omitempty"`
	Tools               []oaTool         `json:"tools,omitempty"`
	ToolChoice          any              `json:"tool_choice,omitempty"` // string or oaNamedChoice
	ParallelToolCalls   *bool            `json:"parallel_tool_calls,omitempty"`
	ReasoningEffort     string           `json:"reasoning_effort,omitempty"`
	Seed                json.RawMessage  `json:"seed,omitempty"`
	PresencePenalty     json.RawMessage  `json:"presence_penalty,omitempty"`
	FrequencyPenalty    json.RawMessage  `json:"frequency_penalty,omitempty"`
	ResponseFormat      *oaResponseFmt   `json:"response_format,omitempty"`
	User                string           `json:"user,omitempty"`
	ServiceTier         string           `json:"service_tier,omitempty"`
}

type oaStreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type oaMessage struct {
	Role             string        `json:"role"`
	Content          any           `json:"content,omitempty"` // string or []oaPart
	ToolCalls        []oaToolCall  `json:"tool_calls,omitempty"`
	ToolCallID       string        `json:"tool_call_id,omitempty"`
	ReasoningContent string        `json:"reasoning_content,omitempty"`
	ExtraContent     *extraContent `json:"extra_content,omitempty"`
}

type oaPart struct {
	Type       string        `json:"type"`
	Text       *string       `json:"text,omitempty"`
	ImageURL   *oaImageURL   `json:"image_url,omitempty"`
	File       *oaFile       `json:"file,omitempty"`
	InputAudio *oaInputAudio `json:"input_audio,omitempty"`
}

type oaInputAudio struct {
	Data   string `json:"data"`
	Format string `json:"format"`
}

type oaImageURL struct {
	URL string `json:"url"`
}

type oaFile struct {
	Filename string `json:"filename,omitempty"`
	FileData string `json:"file_data"`
}

type oaToolCall struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Function     oaFunctionCall `json:"function"`
	ExtraContent *extraContent  `json:"extra_content,omitempty"`
}

type oaFunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type oaTool struct {
	Type     string     `json:"type"`
	Function oaFunction `json:"function"`
}

type oaFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

type oaNamedChoice struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

type oaResponseFmt struct {
	Type       string        `json:"type"`
	JSONSchema *oaJSONSchema `json:"json_schema,omitempty"`
}

type oaJSONSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema,omitempty"`
	Strict *bool           `json:"strict,omitempty"`
}

func ptr[T any](v T) *T { return &v }
