// Package translate converts between the OpenAI Chat Completions and the
// Anthropic Messages protocols in both directions: request bodies, answers,
// event streams and error bodies. The router uses it when a client's
// protocol differs from its channel's; same-protocol traffic never comes here.
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
package translate
