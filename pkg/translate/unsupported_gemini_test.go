package translate

import "testing"

// gmReq builds a Gemini request with extra top-level members and contents.
func gmReq(extra, contents string) string {
	if contents == "" {
		contents = `[{"role":"user","parts":[{"text":"hi"}]}]`
	}
	if extra != "" {
		extra = "," + extra
	}
	return `{"contents":` + contents + extra + `}`
}

const (
	gmWeather    = `"tools":[{"functionDeclarations":[{"name":"get_weather","parametersJsonSchema":{"type":"object"}}]}]`
	gmCallTurns  = `[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},`
	oaCallTurn   = `{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}`
	anToolUseMsg = `{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]}`
)

var geminiUnsupportedCases = []unsupportedCase{
	{"n > 1", oaGm, oaReq(`"n":2`, ""), "n"},
	{"Log probabilities", oaGm, oaReq(`"logprobs":true`, ""), "logprobs"},
	{"Log probabilities", oaGm, oaReq(`"top_logprobs":3`, ""), "top_logprobs"},
	{"logit_bias", oaGm, oaReq(`"logit_bias":{"50256":-100}`, ""), "logit_bias.50256"},
	{"Audio output", oaGm, oaReq(`"audio":{"voice":"alloy","format":"wav"}`, ""), "audio"},
	{"Audio output", oaGm, oaReq(`"modalities":["text","audio"]`, ""), "modalities[1]"},
	{"Predicted outputs", oaGm, oaReq(`"prediction":{"type":"content","content":"x"}`, ""), "prediction"},
	{"web_search_options", oaGm, oaReq(`"web_search_options":{}`, ""), "web_search_options"},
	{"verbosity", oaGm, oaReq(`"verbosity":"low"`, ""), "verbosity"},
	{"Legacy functions", oaGm, oaReq(`"functions":[{"name":"f"}]`, ""), "functions"},
	{"Stored completions", oaGm, oaReq(`"store":true`, ""), "store"},
	{"Stored completions", oaGm, oaReq(`"metadata":{"k":"v"}`, ""), "metadata.k"},
	{"service_tier flex / priority / scale", oaGm, oaReq(`"service_tier":"priority"`, ""), "service_tier"},
	{"Participant names", oaGm, oaReq("", `[{"role":"user","name":"ann","content":"hi"}]`), "messages[0].name"},
	{"Images by web address", oaGm, oaReq("", `[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.test/a.png"}}]}]`), "messages[0].content[0].image_url.url"},
	{"Image detail low", oaGm, oaReq("", `[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"low"}}]}]`), "messages[0].content[0].image_url.detail"},
	{"Non-base64 data URLs", oaGm, oaReq("", `[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,%89PNG"}}]}]`), "messages[0].content[0].image_url.url"},
	{"Uploaded files (file_id)", oaGm, oaReq("", `[{"role":"user","content":[{"type":"file","file":{"file_id":"file-abc"}}]}]`), "messages[0].content[0].file.file_id"},
	{"Custom (free-form) tools", oaGm, oaReq(`"tools":[{"type":"custom","custom":{"name":"x"}}]`, ""), "tools[0].type"},
	{"tool_choice allowed_tools auto", oaGm, oaReq(`"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"type":"function","function":{"name":"f"}}]}}`, ""), "tool_choice.allowed_tools.mode"},
	{"Parallel tool calls off", oaGm, oaReq(`"tools":[{"type":"function","function":{"name":"f"}}],"parallel_tool_calls":false`, ""), "parallel_tool_calls"},
	{"System message mid-conversation", oaGm, oaReq("", `[{"role":"user","content":"hi"},{"role":"system","content":"be brief"}]`), "messages[1].role"},
	{"Redacted thinking in history", oaGm, oaReq("", `[{"role":"user","content":"hi"},{"role":"assistant","content":"ok","thinking_blocks":[{"type":"redacted_thinking","data":"EmwK"}]}]`), "messages[1].thinking_blocks[0]"},
	{"Citations in history", oaGm, oaReq("", `[{"role":"user","content":"hi"},{"role":"assistant","content":"ok","annotations":[{"type":"url_citation"}]}]`), "messages[1].annotations[0]"},
	{"Response schema description", oaGm, oaReq(`"response_format":{"type":"json_schema","json_schema":{"name":"n","description":"d","schema":{"type":"object"}}}`, ""), "response_format.json_schema.description"},
	{"Unknown fields", oaGm, oaReq(`"frobnicate":true`, ""), "frobnicate"},
	{"Unknown fields", oaGm, oaReq(`"stream_options":{"include_usage":true,"chunk_size":3}`, ""), "stream_options.chunk_size"},
	{"Unknown fields", oaGm, oaReq("", `[{"role":"user","content":"hi"},{"role":"assistant","content":"ok","extra_content":{"openai":{}}}]`), "messages[1].extra_content.openai"},

	{"Images by web address", anGm, anReq("", `[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://x.test/a.png"}}]}]`), "messages[0].content[0].source.url"},
	{"Images by file id", anGm, anReq("", `[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_abc"}}]}]`), "messages[0].content[0].source.file_id"},
	{"Documents by URL or file id", anGm, anReq("", `[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://x.test/a.pdf"}}]}]`), "messages[0].content[0].source.url"},
	{"Titled documents", anGm, anReq("", `[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"},"title":"T"}]}]`), "messages[0].content[0].title"},
	{"Citations", anGm, anReq("", `[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"x"},"citations":{"enabled":true}}]}]`), "messages[0].content[0].citations"},
	{"Citations", anGm, anReq(`"system":[{"type":"text","text":"x","citations":[{"type":"char_location"}]}]`, ""), "system[0].citations[0]"},
	{"Redacted thinking in history", anGm, anReq("", `[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"redacted_thinking","data":"EmwK"}]},{"role":"user","content":"go"}]`), "messages[1].content[0].type"},
	{"Images in tool results", anGm, anReq("", `[{"role":"user","content":"hi"},`+anToolUseMsg+`,{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]}]}]`), "messages[2].content[0].content[0].type"},
	{"Other content blocks", anGm, anReq("", `[{"role":"user","content":[{"type":"search_result","source":"s","title":"t","content":[]}]}]`), "messages[0].content[0].type"},
	{"Server tools", anGm, anReq(`"tools":[{"name":"web_search","max_uses":5,"type":"web_search_20250305"}]`, ""), "tools[0].type"},
	{"Parallel tool calls off", anGm, anReq(`"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true}`, ""), "tool_choice.disable_parallel_tool_use"},
	{"Thinking budget with effort", anGm, anReq(`"thinking":{"type":"enabled","budget_tokens":2048},"output_config":{"effort":"low"}`, ""), "output_config.effort"},
	{"Anthropic-hosted features", anGm, anReq(`"container":"container_abc"`, ""), "container"},
	{"Anthropic-hosted features", anGm, anReq(`"mcp_servers":[{"type":"url","url":"https://mcp.test","name":"x"}]`, ""), "mcp_servers"},
	{"Unknown fields", anGm, anReq(`"frobnicate":true`, ""), "frobnicate"},
	{"Unknown fields", anGm, anReq(`"thinking":{"type":"enabled","budget_tokens":2048,"display":"omitted"}`, ""), "thinking.display"},

	{"top_k", gmOa, gmReq(`"generationConfig":{"topK":40}`, ""), "generationConfig.topK"},
	{"candidateCount > 1", gmOa, gmReq(`"generationConfig":{"candidateCount":2}`, ""), "generationConfig.candidateCount"},
	{"Safety settings", gmOa, gmReq(`"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]`, ""), "safetySettings[0]"},
	{"Cached content", gmOa, gmReq(`"cachedContent":"cachedContents/abc"`, ""), "cachedContent"},
	{"Google-hosted tools", gmOa, gmReq(`"tools":[{"googleSearch":{}}]`, ""), "tools[0].googleSearch"},
	{"Google-hosted tools", gmOa, gmReq(`"tools":[{"codeExecution":{}}]`, ""), "tools[0].codeExecution"},
	{"Files in Google storage", gmOa, gmReq("", `[{"role":"user","parts":[{"fileData":{"mimeType":"image/png","fileUri":"gs://bucket/a.png"}}]}]`), "contents[0].parts[0].fileData.fileUri"},
	{"Files in Google storage", gmOa, gmReq("", `[{"role":"user","parts":[{"fileData":{"mimeType":"application/pdf","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}]}]`), "contents[0].parts[0].fileData.fileUri"},
	{"Video and other media", gmOa, gmReq("", `[{"role":"user","parts":[{"inlineData":{"mimeType":"video/mp4","data":"AAAA"}}]}]`), "contents[0].parts[0].inlineData.mimeType"},
	{"Code execution parts", gmOa, gmReq("", `[{"role":"user","parts":[{"executableCode":{"language":"PYTHON","code":"print(1)"}}]}]`), "contents[0].parts[0].executableCode"},
	{"Enum responses", gmOa, gmReq(`"generationConfig":{"responseMimeType":"text/x.enum"}`, ""), "generationConfig.responseMimeType"},
	{"Log probabilities", gmOa, gmReq(`"generationConfig":{"responseLogprobs":true}`, ""), "generationConfig.responseLogprobs"},
	{"Image, audio output", gmOa, gmReq(`"generationConfig":{"responseModalities":["TEXT","IMAGE"]}`, ""), "generationConfig.responseModalities[1]"},
	{"Speech config", gmOa, gmReq(`"generationConfig":{"speechConfig":{}}`, ""), "generationConfig.speechConfig"},
	{"allowedFunctionNames without ANY", gmOa, gmReq(gmWeather+`,"toolConfig":{"functionCallingConfig":{"mode":"AUTO","allowedFunctionNames":["get_weather"]}}`, ""), "toolConfig.functionCallingConfig.allowedFunctionNames"},
	{"Non-blocking functions", gmOa, gmReq(`"tools":[{"functionDeclarations":[{"name":"f","behavior":"NON_BLOCKING"}]}]`, ""), "tools[0].functionDeclarations[0].behavior"},
	{"Non-blocking functions", gmOa, gmReq("", gmCallTurns+`{"role":"user","parts":[{"functionResponse":{"name":"f","response":{},"willContinue":true}}]}]`), "contents[2].parts[0].functionResponse.willContinue"},
	{"Function result schemas", gmOa, gmReq(`"tools":[{"functionDeclarations":[{"name":"f","response":{"type":"OBJECT"}}]}]`, ""), "tools[0].functionDeclarations[0].response"},
	{"Multimodal function responses", gmOa, gmReq("", gmCallTurns+`{"role":"user","parts":[{"functionResponse":{"name":"f","response":{},"parts":[{"inlineData":{"mimeType":"image/png","data":"AAAA"}}]}}]}]`), "contents[2].parts[0].functionResponse.parts[0]"},
	{"Unknown fields", gmOa, gmReq(`"frobnicate":true`, ""), "frobnicate"},
	{"Unknown fields", gmOa, gmReq(`"generationConfig":{"frobnicate":1}`, ""), "generationConfig.frobnicate"},
	{"Unknown fields", gmOa, gmReq("", `[{"role":"user","parts":[{"text":"hi","frobnicate":1}]}]`), "contents[0].parts[0].frobnicate"},
	{"Unknown fields", gmOa, gmReq(`"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","not":{}}}]}]`, ""), "tools[0].functionDeclarations[0].parameters.not"},

	{"Temperature above 1", gmAn, gmReq(`"generationConfig":{"temperature":1.5}`, ""), "generationConfig.temperature"},
	{"seed", gmAn, gmReq(`"generation_config":{"seed":42}`, ""), "generation_config.seed"},
	{"Repetition penalties", gmAn, gmReq(`"generationConfig":{"presencePenalty":0.5}`, ""), "generationConfig.presencePenalty"},
	{"Repetition penalties", gmAn, gmReq(`"generationConfig":{"frequencyPenalty":0.5}`, ""), "generationConfig.frequencyPenalty"},
	{"JSON mode (json_object)", gmAn, gmReq(`"generationConfig":{"responseMimeType":"application/json"}`, ""), "generationConfig.responseMimeType"},
	{"allowedFunctionNames with several names", gmAn, gmReq(`"tools":[{"functionDeclarations":[{"name":"a"},{"name":"b"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["a","b"]}}`, ""), "toolConfig.functionCallingConfig.allowedFunctionNames"},
	{"Unsigned thoughts in history", gmAn, gmReq("", `[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"text":"hm","thought":true},{"text":"ok"}]}]`), "contents[1].parts[0].thought"},
	{"Dynamic thinking without adaptive thinking", gmAn, gmReq(`"generationConfig":{"thinkingConfig":{"thinkingBudget":-1}}`, ""), "generationConfig.thinkingConfig.thinkingBudget"},
	{"Thinking budget below 1024", gmAn, gmReq(`"generationConfig":{"thinkingConfig":{"thinking_budget":512}}`, ""), "generationConfig.thinkingConfig.thinking_budget"},
	{"Video and other media", gmAn, gmReq("", `[{"role":"user","parts":[{"inlineData":{"mimeType":"audio/wav","data":"AAAA"}}]}]`), "contents[0].parts[0].inlineData.mimeType"},
	{"Files in Google storage", gmAn, gmReq("", `[{"role":"user","parts":[{"file_data":{"mime_type":"application/pdf","file_uri":"gs://bucket/a.pdf"}}]}]`), "contents[0].parts[0].file_data.fileUri"},
	{"Safety settings", gmAn, gmReq(`"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]`, ""), "safetySettings[0]"},
	{"Cached content", gmAn, gmReq(`"cachedContent":"cachedContents/abc"`, ""), "cachedContent"},
	{"Google-hosted tools", gmAn, gmReq(`"tools":[{"urlContext":{}}]`, ""), "tools[0].urlContext"},
	{"Unknown fields", gmAn, gmReq(`"frobnicate":true`, ""), "frobnicate"},
}

func TestUnsupportedGemini(t *testing.T) { testUnsupported(t, geminiUnsupportedCases) }

func TestInvalidRequestsGemini(t *testing.T) {
	tests := []struct {
		route, body, field string
		opts               *Options
		want               error
	}{
		{route: gmOa, body: `{"contents":`, want: ErrInvalidRequest},
		{route: gmOa, body: `{"generationConfig":{}}`, field: "contents", want: ErrInvalidRequest},
		{route: gmOa, body: gmReq("", ""), field: "model", opts: &Options{}, want: ErrInvalidRequest},
		{route: gmAn, body: gmReq("", ""), opts: &Options{Model: "m"}, want: ErrNoMaxTokens},
		{route: gmOa, body: gmReq("", `[{"role":"system","parts":[{"text":"x"}]}]`), field: "contents[0].role", want: ErrInvalidRequest},
		{route: gmOa, body: gmReq("", `[{"role":"user","parts":[{"text":"x","inlineData":{"mimeType":"image/png","data":"AAAA"}}]}]`), field: "contents[0].parts[0]", want: ErrInvalidRequest},
		{route: gmOa, body: gmReq("", `[{"role":"user","parts":[{}]}]`), field: "contents[0].parts[0]", want: ErrInvalidRequest},
		{route: gmOa, body: gmReq("", `[{"role":"user","parts":[{"functionCall":{"name":"f"}}]}]`), field: "contents[0].parts[0].functionCall", want: ErrInvalidRequest},
		{route: gmAn, body: gmReq("", `[{"role":"model","parts":[{"functionCall":{"name":"f"}}]},{"role":"user","parts":[{"functionResponse":{"name":"g","response":{}}}]}]`), field: "contents[1].parts[0].functionResponse.name", want: ErrInvalidRequest},
		{route: gmOa, body: gmReq(`"generationConfig":{"thinkingConfig":{"thinkingBudget":10,"thinkingLevel":"low"}}`, ""), field: "generationConfig.thinkingConfig", want: ErrInvalidRequest},
		{route: gmOa, body: gmReq(`"generationConfig":{"thinkingConfig":{"thinkingLevel":"extreme"}}`, ""), field: "generationConfig.thinkingConfig.thinkingLevel", want: ErrInvalidRequest},
		{route: gmOa, body: gmReq(`"generationConfig":{"responseSchema":{"type":"OBJECT"}}`, ""), field: "generationConfig.responseMimeType", want: ErrInvalidRequest},
		{route: gmOa, body: gmReq(`"generationConfig":{"responseSchema":{"type":"BLOB"}}`, ""), field: "generationConfig.responseSchema.type", want: ErrInvalidRequest},
		{route: gmAn, body: gmReq(`"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}`, ""), field: "toolConfig.functionCallingConfig.mode", want: ErrInvalidRequest},
		{route: gmOa, body: gmReq(`"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}`, ""), field: "toolConfig.functionCallingConfig.mode", want: ErrInvalidRequest},
		{route: gmAn, body: gmReq("", `[{"role":"user","parts":[{"inlineData":{"mimeType":"text/plain","data":"not base64!"}}]}]`), field: "contents[0].parts[0].inlineData.data", want: ErrInvalidRequest},
		{route: gmOa, body: gmReq(`"tools":[{"functionDeclarations":[{"description":"no name"}]}]`, ""), field: "tools[0].functionDeclarations[0].name", want: ErrInvalidRequest},
		{route: oaGm, body: oaReq("", `[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"nope","content":"x"}]`), field: "messages[1].tool_call_id", want: ErrInvalidRequest},
		{route: oaGm, body: oaReq("", `[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]`), field: "messages[1].tool_calls[0].function.arguments", want: ErrInvalidRequest},
		{route: oaGm, body: oaReq("", `[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"flac"}}]}]`), field: "messages[0].content[0].input_audio.format", want: ErrInvalidRequest},
		{route: oaGm, body: oaReq("", `[{"role":"user","content":"x","extra_content":{"google":{"thought_signature":"s"}}}]`), field: "messages[0]", want: ErrInvalidRequest},
		{route: oaGm, body: oaReq("", `[`+oaCallTurn+`]`) + `x`, want: ErrInvalidRequest},
		{route: anGm, body: `{"model":"m","messages":[{"role":"user","content":"x"}]}`, field: "max_tokens", want: ErrInvalidRequest},
		{route: anGm, body: anReq("", `[{"role":"user","content":[{"type":"tool_result","tool_use_id":"nope","content":"x"}]}]`), field: "messages[0].content[0].tool_use_id", want: ErrInvalidRequest},
		{route: anGm, body: anReq(`"output_config":{"effort":"extreme"}`, ""), field: "output_config.effort", want: ErrInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.route+"/"+tc.field, func(t *testing.T) {
			opts := Options{Model: "test-model", DefaultMaxTokens: 4096}
			if tc.opts != nil {
				opts = *tc.opts
			}
			out, err := bridgeFor(t, tc.route).Request([]byte(tc.body), opts)
			wantRequestError(t, out, err, tc.want, tc.field)
		})
	}
}
