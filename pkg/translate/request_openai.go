package translate

import (
	"encoding/json"
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
	afterSystem   bool
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
		if _, err = getInt(v, k); err == nil {
			c.out.TopK, _, err = rawNumber(v, k)
		}
	case "stop":
		c.out.StopSequences, err = stringOrList(v, k)
	case "stream":
		c.out.Stream, err = getBool(v, k)
	case "stream_options":
		err = members(v, k, func(sk string, sv []byte) error {
			switch sk {
			case "include_usage", "include_obfuscation":
				// Usage: Anthropic streams always carry it; the stream converter
				// decides what the client sees. Obfuscation pads deltas against
				// a side channel; Anthropic streams have no padding to add.
				_, err := getBool(sv, at(k, sk))
				return err
			}
			return unsupported(at(k, sk), "unknown field")
		})
	case "n":
		var n int64
		if n, err = getInt(v, k); err == nil && n != 1 {
			err = unsupported(k, "Anthropic returns exactly one choice")
		}
	case "logprobs":
		var b bool
		if b, err = getBool(v, k); err == nil && b {
			err = unsupported(k, "Anthropic does not return log probabilities")
		}
	case "top_logprobs":
		var n int64
		if n, err = getInt(v, k); err == nil && n != 0 {
			err = unsupported(k, "Anthropic does not return log probabilities")
		}
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
		c.effort, err = getString(v, k)
		if _, ok := effortBudget(c.effort); err == nil && !ok && c.effort != "none" {
			err = invalid(k, "unknown effort "+c.effort)
		}
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
		var b bool
		if b, err = getBool(v, k); err == nil && b {
			err = unsupported(k, "Anthropic does not store completions")
		}
	case "modalities":
		err = elements(v, k, func(i int, ev []byte) error {
			if m, err := getString(ev, idx(k, i)); err != nil || m != "text" {
				return unsupported(idx(k, i), "Anthropic answers in text only")
			}
			return nil
		})
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
