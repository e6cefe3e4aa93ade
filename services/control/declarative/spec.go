package declarative

// The YAML shape of the file. Parse decodes into these and Export encodes
// from them; both then convert to or from the admin API's messages. Pointers
// mark fields whose absence differs from their zero value.

type fileSpec struct {
	Channels []channelSpec `yaml:"channels,omitempty"`
	Models   []modelSpec   `yaml:"models,omitempty"`
	Groups   []groupSpec   `yaml:"groups,omitempty"`
	Users    []userSpec    `yaml:"users,omitempty"`
}

type limitsSpec struct {
	RPM            *int64 `yaml:"rpm,omitempty"`
	TPM            *int64 `yaml:"tpm,omitempty"`
	MaxConcurrency *int64 `yaml:"max_concurrency,omitempty"`
}

type channelSpec struct {
	Name       string            `yaml:"name"`
	Type       string            `yaml:"type"`
	BaseURL    string            `yaml:"base_url,omitempty"`
	Keys       []string          `yaml:"keys,omitempty"`
	Models     []string          `yaml:"models,omitempty,flow"`
	ModelMap   map[string]string `yaml:"model_map,omitempty"`
	Groups     []string          `yaml:"groups,omitempty,flow"`
	Priority   int64             `yaml:"priority,omitempty"`
	Weight     *int64            `yaml:"weight,omitempty"`
	CostRatio  string            `yaml:"cost_ratio,omitempty"`
	limitsSpec `yaml:",inline"`
	Status     string        `yaml:"status,omitempty"`
	Enabled    *bool         `yaml:"enabled,omitempty"`
	Timeouts   *timeoutsSpec `yaml:"timeouts,omitempty"`
	APIVersion string        `yaml:"api_version,omitempty"`
	Project    string        `yaml:"project,omitempty"`
	Location   string        `yaml:"location,omitempty"`
}

type timeoutsSpec struct {
	Connect   string `yaml:"connect,omitempty"`
	FirstByte string `yaml:"first_byte,omitempty"`
	Idle      string `yaml:"idle,omitempty"`
	Total     string `yaml:"total,omitempty"`
}

// priceSpec holds decimal USD per 1M tokens; "" is unset.
type priceSpec struct {
	Input       string `yaml:"input"`
	Output      string `yaml:"output"`
	CacheRead   string `yaml:"cache_read,omitempty"`
	CacheWrite  string `yaml:"cache_write,omitempty"`
	Reasoning   string `yaml:"reasoning,omitempty"`
	AudioInput  string `yaml:"audio_input,omitempty"`
	AudioOutput string `yaml:"audio_output,omitempty"`
	ImageInput  string `yaml:"image_input,omitempty"`
}

type modelSpec struct {
	Name            string `yaml:"name"`
	priceSpec       `yaml:",inline"`
	RequestFee      string     `yaml:"request_fee,omitempty"`
	MaxOutputTokens int64      `yaml:"max_output_tokens,omitempty"`
	Tiers           []tierSpec `yaml:"tiers,omitempty"`
	// PerUser holds the limits each user has on the model, across the
	// user's tokens.
	PerUser *limitsSpec `yaml:"per_user,omitempty,flow"`
}

type tierSpec struct {
	AboveInputTokens int64 `yaml:"above_input_tokens"`
	priceSpec        `yaml:",inline"`
}

type groupSpec struct {
	Name        string `yaml:"name"`
	Ratio       string `yaml:"ratio,omitempty"`
	Description string `yaml:"description,omitempty"`
}

type userSpec struct {
	Name       string `yaml:"name"`
	Group      string `yaml:"group,omitempty"`
	Role       string `yaml:"role,omitempty"`
	Status     string `yaml:"status,omitempty"`
	QuotaUSD   string `yaml:"quota_usd,omitempty"`
	limitsSpec `yaml:",inline"`
	Tokens     []tokenSpec `yaml:"tokens,omitempty"`
}

type tokenSpec struct {
	Name       string   `yaml:"name"`
	Key        string   `yaml:"key,omitempty"`
	Models     []string `yaml:"models,omitempty,flow"`
	QuotaUSD   string   `yaml:"quota_usd,omitempty"`
	limitsSpec `yaml:",inline"`
	ExpiresAt  string `yaml:"expires_at,omitempty"`
	Status     string `yaml:"status,omitempty"`
}
