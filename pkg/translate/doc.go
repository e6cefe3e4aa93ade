// Package translate converts between the OpenAI Chat Completions, the
// Anthropic Messages and the Gemini generateContent (v1beta) protocols, every
// pair in both directions: request bodies, answers, event streams and error
// bodies. The router uses it when a client's protocol differs from its
// channel's (BridgeFor gives the functions for a pair); same-protocol
// traffic never comes here. OpenAI⇄Anthropic is described first, Gemini
// under its own heading below.
//
// # Requests
//
// OpenAIChatToAnthropic and AnthropicToOpenAIChat walk the client's JSON
// member by member. Every member is translated, accepted as a documented
// no-op, or refused: a feature the target cannot express returns
// *UnsupportedError naming the field (the router answers 400 with it), a
// malformed request *FieldError. Nothing is dropped silently; unknown fields
// are refused too. docs/compatibility.md lists every feature and outcome; a
// test regenerates it from the fixtures in testdata.
//
// Decisions worth knowing:
//   - OpenAI system and developer messages become Anthropic's system prompt
//     (a string, or text blocks when there are several or any carries
//     cache_control); one after the first user or assistant turn is refused.
//   - max_completion_tokens wins over max_tokens; with neither,
//     Options.DefaultMaxTokens (the model's max_output_tokens) is used.
//   - Consecutive OpenAI tool messages become one user turn of tool_result
//     blocks; Anthropic tool results become tool messages placed before the
//     rest of their user turn. is_error, which OpenAI lacks, is kept by
//     starting the tool message with "Error: ".
//   - response_format json_schema becomes output_config.format (Anthropic
//     structured outputs; older models reject it upstream); json_object has
//     no schema to give and is refused.
//   - cache_control (an extension on OpenAI content parts, messages and
//     tools) passes through to Anthropic; towards OpenAI, which caches
//     prefixes by itself, it is accepted and not forwarded.
//   - reasoning_effort and thinking map as described under Reasoning.
//   - Accepted with nothing to send, because the target behaves that way
//     anyway or the value is only an identifier: OpenAI
//     stream_options.include_usage (the stream converter's includeUsage
//     decides) and include_obfuscation, prompt_cache_key, image detail auto
//     and high, response_format.json_schema name and strict, a tool
//     message's name, n=1, logprobs false, top_logprobs 0, zero penalties,
//     store false, empty metadata and logit_bias, modalities ["text"];
//     Anthropic cache_control and thinking signatures towards OpenAI.
//   - Answers carry Anthropic thinking on the OpenAI side as
//     message.reasoning_content (the text, as DeepSeek and vLLM do) plus
//     message.thinking_blocks (the signed blocks). A client sending an
//     assistant message back with thinking_blocks gets them to Anthropic
//     intact; reasoning_content alone cannot be (Anthropic needs the
//     signature) and is refused.
//
// # Reasoning
//
// OpenAI reasoning_effort to Anthropic, by default as a thinking budget:
// none gives thinking {"type":"disabled"}; minimal, low, medium, high and
// xhigh give {"type":"enabled","budget_tokens":N} with N = 1024, 4096,
// 12288, 24576 and 49152, capped below max_tokens (Anthropic counts thinking
// against max_tokens as OpenAI counts reasoning against
// max_completion_tokens); when that leaves less than Anthropic's minimum of
// 1024 the request is refused. With Options.AdaptiveThinking (newer Claude
// models) it is thinking {"type":"adaptive"} with output_config.effort
// (minimal and low give low; medium, high and xhigh as named).
//
// Anthropic to OpenAI: output_config.effort low, medium, high and xhigh as
// named, max as xhigh (OpenAI's highest); otherwise thinking enabled with
// budget_tokens below 8192 gives low, below 20000 medium, else high;
// disabled gives none; adaptive without an effort gives no reasoning_effort
// (the model decides, as adaptive means).
//
// # Answers and streams
//
// AnthropicResponseToOpenAI and OpenAIResponseToAnthropic translate whole
// answers: content, tool calls, thinking, stop reasons and usage. Usage:
// OpenAI prompt_tokens includes cached tokens, Anthropic input_tokens
// excludes cache reads and cache writes; Anthropic cache writes appear as
// prompt_tokens_details.cache_write_tokens on the OpenAI side.
//
// The stream converters are fed one upstream event at a time and append
// zero or more downstream events to a buffer; Finish ends the stream. An
// upstream error event becomes the other side's: Anthropic "event: error"
// on one side, an OpenAI chunk {"error":{...}} with no [DONE] after it on
// the other (the OpenAI SDKs raise on such a chunk, and a stream without
// [DONE] reads as failed to the others). A stream that ends without its
// closing events ends downstream with an error, never a clean finish.
//
// # Error bodies
//
// AnthropicErrorToOpenAI and OpenAIErrorToAnthropic map error types and
// codes; see errorbody.go for the table.
//
// # Gemini
//
// OpenAIChatToGemini, AnthropicToGemini, GeminiToOpenAIChat and
// GeminiToAnthropic translate requests under the same rule: translated,
// accepted as a documented no-op, or refused by name. A Gemini body names
// no model and no stream flag (both are in the URL): towards Gemini they
// are dropped, from Gemini Options.Model and Options.Stream supply them
// (a streamed OpenAI request also asks for include_usage). Gemini reads
// protobuf JSON, which accepts snake_case names too; so does the reader.
//
// Anthropic⇄Gemini is translated directly, not through the OpenAI
// translators: top_k, thinking budgets, thinking signatures, tool errors
// (is_error ↔ {"error":...}) and cache reads exist on both sides but not in
// OpenAI's, and would be lost or refused on the way.
//
// Decisions worth knowing:
//   - Function calls without an id (Gemini may leave them out) get
//     "call_<n>" in requests and "call_<responseId>_<n>" in answers; a
//     functionResponse without an id answers the first unanswered call of
//     its name in the model turn before it. Towards Gemini a tool result is
//     a functionResponse named after its call: a JSON object result is the
//     response as it is, other text goes under "output" ("error" for
//     Anthropic's is_error); back from Gemini {"output": text} and
//     {"error": text} give the text (and is_error).
//   - Gemini's parameters and responseSchema (an OpenAPI subset) become
//     JSON Schema: type names lower-cased, nullable as a "null" type,
//     propertyOrdering (an ordering hint) dropped; towards Gemini the JSON
//     Schema goes as parametersJsonSchema and responseJsonSchema.
//   - tool_choice ↔ functionCallingConfig: auto, none, required (any) ↔
//     AUTO, NONE, ANY; a named function ↔ ANY with one allowed name; OpenAI's
//     allowed_tools (required) ↔ ANY with several (refused for Anthropic).
//     Strict functions where the model may choose ↔ VALIDATED. Gemini cannot
//     turn parallel calls off: that is refused.
//   - Media: inline data only (base64 data URLs, base64 sources); images by
//     web address are refused towards Gemini. fileData at a web address
//     becomes an image URL (both) or a PDF URL (Anthropic); gs:// and Files
//     API URIs need Google credentials and are refused.
//   - Refused towards OpenAI or Anthropic: safetySettings, cachedContent,
//     Google-hosted tools, non-text output, candidateCount above 1, log
//     probabilities; towards Anthropic also seed, penalties, temperature
//     above 1 and JSON mode without a schema.
//   - Usage follows DESIGN's normalisation: promptTokenCount (with
//     toolUsePromptTokenCount) includes cachedContentTokenCount, which maps
//     to cached_tokens and cache_read_input_tokens; output is
//     candidatesTokenCount + thoughtsTokenCount, the thoughts being
//     reasoning_tokens. Anthropic does not count thinking apart, so towards
//     Gemini all of its output is candidatesTokenCount; cache writes have no
//     Gemini field and count as prompt.
//   - Finish reasons: STOP → stop / end_turn (tool_calls / tool_use when the
//     turn has calls), MAX_TOKENS → length / max_tokens, SAFETY, RECITATION,
//     BLOCKLIST, PROHIBITED_CONTENT, SPII, LANGUAGE and a blocked prompt →
//     content_filter / refusal, others → stop / end_turn.
//
// Reasoning: reasoning_effort becomes thinkingBudget (effort budgets as for
// Anthropic, xhigh 32768) with includeThoughts, none thinkingBudget 0; with
// Options.AdaptiveThinking a thinkingLevel (Gemini 3). thinkingBudget to
// OpenAI: 0 → none, -1 (dynamic) → nothing, else by size as for Anthropic
// budgets; thinkingLevel → the effort of the same name. Anthropic budgets
// stay budgets (capped below max_tokens, at least 1024), adaptive is
// dynamic thinking (-1, Anthropic from Gemini only with AdaptiveThinking),
// output_config.effort ↔ thinkingLevel.
//
// Thought signatures must come back to Gemini where Gemini put them (on a
// thought, a text part or the first call), and Anthropic's must come back
// in their thinking blocks. Each answer translator writes them so that the
// request translator of the same pair reads them back:
//   - OpenAI clients: Google's own OpenAI-compatible form,
//     extra_content.google.thought_signature on a tool call, or on the
//     message (the last signature of its text and thoughts, put back on the
//     last text part, else the thought).
//   - Anthropic clients: thought parts are thinking blocks (a run of them
//     one block, signed by the part that ends it); a signature on text or a
//     call follows it as a thinking block with no text, which
//     AnthropicToGemini gives back to the part before it.
//   - Gemini clients of Anthropic: a thinking block is a thought part with
//     its signature; a redacted_thinking block a thought part whose
//     signature is its data tagged "redacted_thinking:". GeminiToAnthropic
//     turns runs of thought parts back into signed blocks and refuses
//     unsigned ones (Anthropic would).
//   - Signatures the target cannot check are not forwarded (a documented
//     no-op): Gemini's towards Anthropic and OpenAI's clients' Anthropic
//     thinking_blocks towards Gemini (their text is sent).
//
// Streams: Gemini streams (alt=sse) are "data: <GenerateContentResponse>"
// events with no names and no terminator. Converters from Gemini end their
// output at Finish (usage chunk and [DONE], or message_delta and
// message_stop) with the last usageMetadata seen, once a chunk gave
// finishReason; a stream that ended before is cut and ends with an error.
// Converters to Gemini write one chunk per content event, function calls
// whole once their arguments are complete, and a last chunk with
// finishReason and usageMetadata; a failure ends the stream with Gemini's
// error body as the last event.
//
// Error bodies map through the Anthropic error types (errorbody_gemini.go
// has the table); GeminiErrorBody renders the router's own errors.
package translate
