package translate

import "encoding/json"

// Gemini generateContent shapes (v1beta REST). Request bodies carry neither
// the model nor the stream flag: both are in the URL.

type gmRequest struct {
	Contents          []gmContent  `json:"contents"`
	SystemInstruction *gmContent   `json:"systemInstruction,omitempty"`
	Tools             []gmTool     `json:"tools,omitempty"`
	ToolConfig        *gmToolCfg   `json:"toolConfig,omitempty"`
	GenerationConfig  *gmGenConfig `json:"generationConfig,omitempty"`
}

type gmContent struct {
	Role  string   `json:"role,omitempty"`
	Parts []gmPart `json:"parts"`
}

// gmPart is the union of the parts the translators write; exactly one of
// Text, InlineData, FileData, FunctionCall and FunctionResponse is set.
type gmPart struct {
	Text             *string         `json:"text,omitempty"`
	Thought          bool            `json:"thought,omitempty"`
	ThoughtSignature string          `json:"thoughtSignature,omitempty"`
	InlineData       *gmBlob         `json:"inlineData,omitempty"`
	FileData         *gmFileData     `json:"fileData,omitempty"`
	FunctionCall     *gmFunctionCall `json:"functionCall,omitempty"`
	FunctionResponse *gmFunctionResp `json:"functionResponse,omitempty"`
}

type gmBlob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type gmFileData struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type gmFunctionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type gmFunctionResp struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type gmTool struct {
	FunctionDeclarations []gmFunctionDecl `json:"functionDeclarations"`
}

type gmFunctionDecl struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

type gmToolCfg struct {
	FunctionCallingConfig gmCallingCfg `json:"functionCallingConfig"`
}

type gmCallingCfg struct {
	Mode                 string   `json:"mode"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

type gmGenConfig struct {
	StopSequences      []string          `json:"stopSequences,omitempty"`
	ResponseMimeType   string            `json:"responseMimeType,omitempty"`
	ResponseJSONSchema json.RawMessage   `json:"responseJsonSchema,omitempty"`
	MaxOutputTokens    int64             `json:"maxOutputTokens,omitempty"`
	Temperature        json.RawMessage   `json:"temperature,omitempty"`
	TopP               json.RawMessage   `json:"topP,omitempty"`
	TopK               json.RawMessage   `json:"topK,omitempty"`
	Seed               json.RawMessage   `json:"seed,omitempty"`
	PresencePenalty    json.RawMessage   `json:"presencePenalty,omitempty"`
	FrequencyPenalty   json.RawMessage   `json:"frequencyPenalty,omitempty"`
	ThinkingConfig     *gmThinkingConfig `json:"thinkingConfig,omitempty"`
}

type gmThinkingConfig struct {
	IncludeThoughts bool   `json:"includeThoughts,omitempty"`
	ThinkingBudget  *int64 `json:"thinkingBudget,omitempty"`
	ThinkingLevel   string `json:"thinkingLevel,omitempty"`
}

// gmUsage is usageMetadata. promptTokenCount includes
// cachedContentTokenCount; candidatesTokenCount excludes thoughtsTokenCount;
// totalTokenCount is prompt + candidates + thoughts + tool-use prompt.
type gmUsage struct {
	PromptTokenCount        int64 `json:"promptTokenCount"`
	CandidatesTokenCount    int64 `json:"candidatesTokenCount"`
	TotalTokenCount         int64 `json:"totalTokenCount"`
	CachedContentTokenCount int64 `json:"cachedContentTokenCount,omitempty"`
	ThoughtsTokenCount      int64 `json:"thoughtsTokenCount,omitempty"`
	ToolUsePromptTokenCount int64 `json:"toolUsePromptTokenCount,omitempty"`
}

// Upstream Gemini answers and stream chunks (GenerateContentResponse).

type gmResponseIn struct {
	Candidates     []gmCandidateIn `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *gmUsage        `json:"usageMetadata"`
	ModelVersion  string          `json:"modelVersion"`
	ResponseID    string          `json:"responseId"`
	Error         json.RawMessage `json:"error"`
}

type gmCandidateIn struct {
	Content *struct {
		Parts []gmPartIn `json:"parts"`
	} `json:"content"`
	FinishReason string `json:"finishReason"`
	Index        int    `json:"index"`
}

type gmPartIn struct {
	Text             *string         `json:"text"`
	Thought          bool            `json:"thought"`
	ThoughtSignature string          `json:"thoughtSignature"`
	FunctionCall     *gmCallIn       `json:"functionCall"`
	InlineData       json.RawMessage `json:"inlineData"`
	FileData         json.RawMessage `json:"fileData"`
	FunctionResponse json.RawMessage `json:"functionResponse"`
	ExecutableCode   json.RawMessage `json:"executableCode"`
	CodeResult       json.RawMessage `json:"codeExecutionResult"`
}

type gmCallIn struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

// kind tells what an answer's part carries: 't' text (a part with only a
// signature counts as empty text), 'c' a function call, 0 anything else.
func (p *gmPartIn) kind() byte {
	switch {
	case p.FunctionCall != nil:
		return 'c'
	case p.Text != nil:
		return 't'
	case p.InlineData == nil && p.FileData == nil && p.FunctionResponse == nil && p.ExecutableCode == nil && p.CodeResult == nil:
		return 't'
	}
	return 0
}

func (p *gmPartIn) text() string {
	if p.Text == nil {
		return ""
	}
	return *p.Text
}

// first returns the first candidate (only one is ever asked for).
func (r *gmResponseIn) first() *gmCandidateIn {
	for i := range r.Candidates {
		if r.Candidates[i].Index == 0 {
			return &r.Candidates[i]
		}
	}
	return nil
}

// Answers written to Gemini clients.

type gmResponseOut struct {
	Candidates    []gmCandidateOut `json:"candidates"`
	UsageMetadata *gmUsage         `json:"usageMetadata,omitempty"`
	ModelVersion  string           `json:"modelVersion"`
	ResponseID    string           `json:"responseId"`
}

type gmCandidateOut struct {
	Content      gmContent `json:"content"`
	FinishReason string    `json:"finishReason,omitempty"`
	Index        int       `json:"index"`
}

// extraContent is how Google's OpenAI-compatible endpoint carries thought
// signatures: {"google":{"thought_signature":"..."}} on a message, a
// stream delta or a tool call.
type extraContent struct {
	Google *struct {
		ThoughtSignature string `json:"thought_signature,omitempty"`
	} `json:"google,omitempty"`
}

func newExtraContent(sig string) *extraContent {
	if sig == "" {
		return nil
	}
	e := &extraContent{}
	e.Google = &struct {
		ThoughtSignature string `json:"thought_signature,omitempty"`
	}{sig}
	return e
}

func (e *extraContent) signature() string {
	if e == nil || e.Google == nil {
		return ""
	}
	return e.Google.ThoughtSignature
}

// redactedPrefix marks a thoughtSignature that carries an Anthropic
// redacted_thinking block's data, so a Gemini client that sends the answer
// back gets the block to Anthropic intact. Base64 has no colon, so the
// prefix cannot collide with a real signature.
const redactedPrefix = "redacted_thinking:"
