package translate

// The reasoning mapping is described in doc.go.

const minThinkingBudget = 1024

func effortBudget(effort string) (int64, bool) {
	switch effort {
	case "minimal":
		return 1024, true
	case "low":
		return 4096, true
	case "medium":
		return 12288, true
	case "high":
		return 24576, true
	case "xhigh":
		return 49152, true
	}
	return 0, false
}

func effortToAnthropic(effort string) (string, bool) {
	switch effort {
	case "minimal", "low":
		return "low", true
	case "medium", "high", "xhigh":
		return effort, true
	}
	return "", false
}

func effortToOpenAI(effort string) (string, bool) {
	switch effort {
	case "low", "medium", "high", "xhigh":
		return effort, true
	case "max":
		return "xhigh", true
	}
	return "", false
}

func budgetToEffort(budget int64) string {
	switch {
	case budget < 8192:
		return "low"
	case budget < 20000:
		return "medium"
	}
	return "high"
}

// maxGeminiBudget is the largest thinking budget Gemini models take.
const maxGeminiBudget = 32768

// geminiThinking maps reasoning_effort to thinkingConfig: a budget (as for
// Anthropic, capped at Gemini's largest), or with adaptive a thinkingLevel
// (Gemini 3). Reasoning asked for is reasoning shown: includeThoughts.
func geminiThinking(effort string, adaptive bool) *gmThinkingConfig {
	switch {
	case effort == "":
		return nil
	case effort == "none" && adaptive:
		return &gmThinkingConfig{ThinkingLevel: "minimal"}
	case effort == "none":
		return &gmThinkingConfig{ThinkingBudget: ptr(int64(0))}
	case adaptive:
		level := effort
		if level == "xhigh" {
			level = "high"
		}
		return &gmThinkingConfig{IncludeThoughts: true, ThinkingLevel: level}
	}
	budget, _ := effortBudget(effort)
	return &gmThinkingConfig{IncludeThoughts: true, ThinkingBudget: ptr(min(budget, maxGeminiBudget))}
}

// effortToGeminiLevel maps Anthropic's output_config.effort to thinkingLevel.
func effortToGeminiLevel(effort string) (string, bool) {
	switch effort {
	case "low", "medium", "high":
		return effort, true
	case "xhigh", "max":
		return "high", true
	}
	return "", false
}
