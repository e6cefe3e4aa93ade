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
