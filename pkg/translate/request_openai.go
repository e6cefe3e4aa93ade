package translate

import (
	"encoding/json"
	"strings"
)

// OpenAIChatToAnthropic translates an OpenAI Chat Completions request body
// into an Anthropic Messages request body. Every field is either translated
// or refused with an *UnsupportedError naming it; a malformed request gives a
// *FieldError. See doc.go for the mapping.
func OpenAIChatToAnthropic(body []byte, opts Options) ([]byte, error) {
	if !json.Valid(body) {
		return nil, invalid("", "body is not valid JSON")
	}
	var c oaToAn
	if err := members(body, "", c.field); err != nil {
		return nil, err
	}
	if err := c.finish(opts); err != nil {
		return nil, err
	}
	return marshal(&c.out)
}

// oaToAn collects an OpenAI request; fields that depend on each other are
// settled in finish.
type oaToAn struct {
	out           anRequest
	hasMessages   bool
	maxTokens     int64
	maxCompletion int64
	effort        string
	parallel      *bool
	toolChoice    []byte
	user, safety  string
	system        []anBlock
	systemCached  bool
	lastToolMsg   int // index in out.Messages of a user turn made of tool results, -1 if none
}

func (c *oaToAn) field(k string, v []byte) error {
	if isNull(v) && k != "messages" {
		return nil // null means "not set" for every optional field
	}
	var err error
	switch k {
	case "model":
		c.out.Model, err = getString(v, k)
	case "messages":
		if c.hasMessages {
			return invalid(k, "given twice")
		}
		c.hasMessages = true
		err = c.messages(v)
	case "max_tokens":
		c.maxTokens, err = positive(v, k)
	case "max_completion_tokens":
		c.maxCompletion, err = positive(v, k)
	case "temperature":
		var f float64
		c.out.Temperature, f, err = rawNumber(v, k)
		if err == nil && f > 1 {
			err = unsupported(k, "Anthropic accepts 0 to 1")
		}
	case "top_p":
		c.out.TopP, _, err = rawNumber(v, k)
	case "top_k": // not OpenAI's, but OpenAI-compatible servers accept it
		c.out.TopK, err = rawInt(v, k)
	case "stop":
		c.out.StopSequences, err = stringOrList(v, k)
	case "stream":
		c.out.Stream, err = getBool(v, k)
	case "stream_options":
		err = streamOptions(v)
	case "n":
		err = onlyInt(v, k, 1, "Anthropic returns exactly one choice")
	case "logprobs":
		err = notTrue(v, k, "Anthropic does not return log probabilities")
	case "top_logprobs":
		err = onlyInt(v, k, 0, "Anthropic does not return log probabilities")
	case "response_format":
		err = c.responseFormat(v)
	case "tools":
		if c.out.Tools != nil {
			return invalid(k, "given twice")
		}
		err = c.tools(v)
	case "tool_choice":
		c.toolChoice = v
	case "parallel_tool_calls":
		var b bool
		b, err = getBool(v, k)
		c.parallel = &b
	case "user":
		c.user, err = getString(v, k)
	case "safety_identifier":
		c.safety, err = getString(v, k)
	case "prompt_cache_key":
		// A routing hint for OpenAI's automatic cache; Anthropic caches what
		// cache_control marks, so there is nothing to route.
		_, err = getString(v, k)
	case "reasoning_effort":
		c.effort, err = oaEffort(v)
	case "service_tier":
		var tier string
		tier, err = getString(v, k)
		switch {
		case err != nil:
		case tier == "auto":
			c.out.ServiceTier = "auto"
		case tier == "default":
			c.out.ServiceTier = "standard_only"
		default:
			err = unsupported(k, "Anthropic offers auto and standard_only")
		}
	case "frequency_penalty", "presence_penalty":
		var f float64
		if f, err = getNumber(v, k); err == nil && f != 0 {
			err = unsupported(k, "Anthropic has no repetition penalties")
		}
	case "logit_bias", "metadata":
		err = emptyObject(v, k)
	case "store":
		err = notTrue(v, k, "Anthropic does not store completions")
	case "modalities":
		err = textModalities(v, k, false, "Anthropic answers in text only")
	case "seed", "audio", "prediction", "web_search_options", "verbosity", "functions", "function_call":
		err = unsupported(k, "")
	default:
		err = unsupported(k, "unknown field")
	}
	return err
}

func positive(v []byte, path string) (int64, error) {
	n, err := getInt(v, path)
	if err == nil && n < 1 {
		err = invalid(path, "must be at least 1")
	}
	return n, err
}

func stringOrList(v []byte, path string) ([]string, error) {
	if kind(v) == '"' {
		s, err := getString(v, path)
		return []string{s}, err
	}
	var out []string
	err := elements(v, path, func(i int, ev []byte) error {
		s, err := getString(ev, idx(path, i))
		out = append(out, s)
		return err
	})
	return out, err
}

// rawInt returns an integer as written.
func rawInt(v []byte, path string) (json.RawMessage, error) {
	if _, err := getInt(v, path); err != nil {
		return nil, err
	}
	raw, _, err := rawNumber(v, path)
	return raw, err
}

// onlyInt accepts the one value of an integer the target can honour.
func onlyInt(v []byte, path string, want int64, why string) error {
	n, err := getInt(v, path)
	if err == nil && n != want {
		err = unsupported(path, why)
	}
	return err
}

// notTrue accepts a flag unless it asks for what the target lacks.
func notTrue(v []byte, path, why string) error {
	b, err := getBool(v, path)
	if err == nil && b {
		err = unsupported(path, why)
	}
	return err
}

// textModalities accepts a list of output modalities holding text only
// (in any case when anyCase).
func textModalities(v []byte, path string, anyCase bool, why string) error {
	return elements(v, path, func(i int, ev []byte) error {
		m, err := getString(ev, idx(path, i))
		if err != nil || m != "text" && !(anyCase && strings.EqualFold(m, "text")) {
			return unsupported(idx(path, i), why)
		}
		return nil
	})
}

// streamOptions checks stream_options. Usage: Anthropic and Gemini streams
// always carry it; the stream converters decide what the client sees.
// Obfuscation pads deltas against a side channel; those streams have no
// padding to add.
func streamOptions(v []byte) error {
	const p = "stream_options"
	return members(v, p, func(k string, sv []byte) error {
		switch k {
		case "include_usage", "include_obfuscation":
			_, err := getBool(sv, at(p, k))
			return err
		}
		return unsupported(at(p, k), "unknown field")
	})
}

// oaEffort reads reasoning_effort: none or an effort with a budget.
func oaEffort(v []byte) (string, error) {
	const p = "reasoning_effort"
	effort, err := getString(v, p)
	if _, ok := effortBudget(effort); err == nil && !ok && effort != "none" {
		err = invalid(p, "unknown effort "+effort)
	}
	return effort, err
}

// emptyObject accepts {} and refuses anything in it.
func emptyObject(v []byte, path string) error {
	return members(v, path, func(k string, _ []byte) error {
		return unsupported(at(path, k), "")
	})
}

func (c *oaToAn) finish(opts Options) error {
	if !c.hasMessages {
		return invalid("messages", "required")
	}
	if c.out.Messages == nil {
		c.out.Messages = []anMessage{} // only system messages: let Anthropic say what it thinks
	}
	if opts.Model != "" {
		c.out.Model = opts.Model
	}
	if c.out.Model == "" {
		return invalid("model", "required")
	}
	switch {
	case c.maxCompletion > 0:
		c.out.MaxTokens = c.maxCompletion
	case c.maxTokens > 0:
		c.out.MaxTokens = c.maxTokens
	case opts.DefaultMaxTokens > 0:
		c.out.MaxTokens = opts.DefaultMaxTokens
	default:
		return ErrNoMaxTokens
	}
	if len(c.system) == 1 && !c.systemCached {
		c.out.System = *c.system[0].Text
	} else if len(c.system) > 0 {
		c.out.System = c.system
	}
	switch {
	case c.safety != "" && c.user != "" && c.safety != c.user:
		return unsupported("user", "Anthropic takes one user id and safety_identifier is set")
	case c.safety != "":
		c.out.Metadata = &anMetadata{UserID: c.safety}
	case c.user != "":
		c.out.Metadata = &anMetadata{UserID: c.user}
	}
	if err := c.toolChoiceOut(); err != nil {
		return err
	}
	return c.thinking(opts)
}

func (c *oaToAn) thinking(opts Options) error {
	switch {
	case c.effort == "":
		return nil
	case c.effort == "none":
		c.out.Thinking = &anThinking{Type: "disabled"}
		return nil
	case opts.AdaptiveThinking:
		e, _ := effortToAnthropic(c.effort)
		c.out.Thinking = &anThinking{Type: "adaptive"}
		if c.out.OutputConfig == nil {
			c.out.OutputConfig = &anOutputConfig{}
		}
		c.out.OutputConfig.Effort = e
		return nil
	}
	budget, _ := effortBudget(c.effort)
	budget = min(budget, c.out.MaxTokens-1)
	if budget < minThinkingBudget {
		return unsupported("reasoning_effort", "Anthropic thinking needs max_tokens above 1024")
	}
	c.out.Thinking = &anThinking{Type: "enabled", BudgetTokens: budget}
	return nil
}
