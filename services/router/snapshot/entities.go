package snapshot

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/secrets"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
)

// DefaultGroup is the group of users without one and of channels that name
// none.
const DefaultGroup = "default"

// Limits are request limits; zero means none.
type Limits struct {
	RPM, TPM, MaxConcurrency int64
}

func limitsOf(l *adminv1.Limits) Limits {
	return Limits{RPM: l.GetRpm(), TPM: l.GetTpm(), MaxConcurrency: l.GetMaxConcurrency()}
}

// Token is an API key as the router sees it: its digest, never its secret.
type Token struct {
	ID     int64
	Name   string
	User   string
	Digest secrets.Digest
	// Models is the allowlist; nil allows every model.
	Models   map[string]struct{}
	Quota    int64 // nano-USD, when HasQuota
	HasQuota bool
	Used     int64 // settled nano-USD
	Limits   Limits
	Expire   time.Time // zero: never
	Disabled bool

	src *snapshotv1.Token
}

// Allows reports whether the token may use model.
func (t *Token) Allows(model string) bool {
	if t.Models == nil {
		return true
	}
	_, ok := t.Models[model]
	return ok
}

// Usable reports whether the token may be used at now.
func (t *Token) Usable(now time.Time) bool {
	return !t.Disabled && (t.Expire.IsZero() || now.Before(t.Expire))
}

func tokenOf(p *snapshotv1.Token) (*Token, error) {
	if len(p.GetDigest()) != len(secrets.Digest{}) {
		return nil, fmt.Errorf("token %d: digest has %d bytes", p.GetId(), len(p.GetDigest()))
	}
	t := &Token{
		ID: p.GetId(), Name: p.GetName(), User: p.GetUser(),
		Used: p.GetUsedNanoUsd(), Limits: limitsOf(p.GetLimits()),
		Disabled: p.GetStatus() == adminv1.Status_STATUS_DISABLED,
		src:      p,
	}
	copy(t.Digest[:], p.GetDigest())
	if p.QuotaNanoUsd != nil {
		t.Quota, t.HasQuota = p.GetQuotaNanoUsd(), true
	}
	if p.GetExpireTime() != nil {
		t.Expire = p.GetExpireTime().AsTime()
	}
	if len(p.GetModels()) > 0 {
		t.Models = make(map[string]struct{}, len(p.GetModels()))
		for _, m := range p.GetModels() {
			t.Models[m] = struct{}{}
		}
	}
	return t, nil
}

// User owns tokens and belongs to a group.
type User struct {
	Name     string
	Group    string
	Role     adminv1.Role
	Disabled bool
	Quota    int64 // nano-USD, when HasQuota
	HasQuota bool
	Used     int64
	Limits   Limits

	src *snapshotv1.User
}

func userOf(p *snapshotv1.User) *User {
	u := &User{
		Name: p.GetName(), Group: p.GetGroup(), Role: p.GetRole(),
		Disabled: p.GetStatus() == adminv1.Status_STATUS_DISABLED,
		Used:     p.GetUsedNanoUsd(), Limits: limitsOf(p.GetLimits()),
		src: p,
	}
	if u.Group == "" {
		u.Group = DefaultGroup
	}
	if p.QuotaNanoUsd != nil {
		u.Quota, u.HasQuota = p.GetQuotaNanoUsd(), true
	}
	return u
}

// Group holds the price ratio of its users.
type Group struct {
	Name     string
	RatioPPM int64

	src *adminv1.Group
}

// groupOf reads a group. An absent ratio is 1.0, as the control plane stores
// it: absent must never price requests at zero (0 is a free group, set on
// purpose).
func groupOf(p *adminv1.Group) *Group {
	g := &Group{Name: p.GetName(), RatioPPM: pricing.OnePPM, src: p}
	if p.RatioPpm != nil {
		g.RatioPPM = p.GetRatioPpm()
	}
	return g
}

// Model is a client-facing model and its list price.
type Model struct {
	Name  string
	Price pricing.Model
	// Priced is false when the price is missing or invalid; such a model is
	// refused.
	Priced bool
	// PerUserLimits bind each user on this model, across the user's tokens.
	PerUserLimits Limits

	src *adminv1.Model
}

func optional(p *int64) pricing.Optional {
	if p == nil {
		return pricing.Optional{}
	}
	return pricing.Price(*p)
}

func modelOf(p *adminv1.Model) (*Model, error) {
	m := &Model{Name: p.GetName(), PerUserLimits: limitsOf(p.GetPerUserLimits()), src: p}
	pr := p.GetPrice()
	if pr == nil {
		return m, fmt.Errorf("model %q: no price", m.Name)
	}
	m.Price = pricing.Model{
		Input: pr.GetInputNanoUsd(), Output: pr.GetOutputNanoUsd(),
		CacheRead: optional(pr.CacheReadNanoUsd), CacheWrite: optional(pr.CacheWriteNanoUsd),
		Reasoning:  optional(pr.ReasoningNanoUsd),
		AudioInput: optional(pr.AudioInputNanoUsd), AudioOutput: optional(pr.AudioOutputNanoUsd),
		ImageInput:      optional(pr.ImageInputNanoUsd),
		RequestFee:      p.GetRequestFeeNanoUsd(),
		MaxOutputTokens: p.GetMaxOutputTokens(),
	}
	for _, t := range p.GetTiers() {
		tp := t.GetPrice()
		m.Price.Tiers = append(m.Price.Tiers, pricing.Tier{
			AboveInputTokens: t.GetAboveInputTokens(),
			Input:            tp.GetInputNanoUsd(), Output: tp.GetOutputNanoUsd(),
			CacheRead: optional(tp.CacheReadNanoUsd), CacheWrite: optional(tp.CacheWriteNanoUsd),
			Reasoning: optional(tp.ReasoningNanoUsd),
		})
	}
	if err := m.Price.Validate(); err != nil {
		return m, fmt.Errorf("model %q: %w", m.Name, err)
	}
	m.Priced = true
	return m, nil
}

// Key is one upstream key of a channel.
type Key struct {
	ID     string
	Secret string
	// Bearer is the Authorization header value {"Bearer <secret>"}, made
	// once per snapshot rather than per request. Shared: never modify.
	Bearer []string
}

// Timeouts of one channel; zero fields take the router's defaults.
type Timeouts struct {
	Connect, FirstByte, Idle, Total time.Duration
}

// Channel is an upstream provider account.
type Channel struct {
	Name string
	Type adminv1.ChannelType
	// BaseURL has no trailing slash; paths such as /chat/completions are
	// appended to it. Base is BaseURL parsed, so that a request does not
	// parse it again.
	BaseURL      string
	Base         url.URL
	Keys         []Key
	Models       []string
	ModelMap     map[string]string
	Groups       []string
	Priority     int32
	Weight       int32 // at least 1
	CostRatioPPM int64
	Limits       Limits
	Timeouts     Timeouts
	// Disabled channels are kept for reporting but never routed to; a
	// channel with an unusable base URL or no key is disabled too.
	Disabled   bool
	APIVersion string
	Project    string
	Location   string

	src *snapshotv1.Channel
}

// UpstreamModel is the name the channel's provider knows model by.
func (c *Channel) UpstreamModel(model string) string {
	if m, ok := c.ModelMap[model]; ok && m != "" {
		return m
	}
	return model
}

func channelOf(p *snapshotv1.Channel) (*Channel, error) {
	c := &Channel{
		Name: p.GetName(), Type: p.GetType(),
		Models: p.GetModels(), ModelMap: p.GetModelMap(), Groups: p.GetGroups(),
		Priority: p.GetPriority(), Weight: max(p.GetWeight(), 1),
		CostRatioPPM: p.GetCostRatioPpm(), Limits: limitsOf(p.GetLimits()),
		Disabled:   p.GetStatus() == adminv1.Status_STATUS_DISABLED,
		APIVersion: p.GetApiVersion(), Project: p.GetProject(), Location: p.GetLocation(),
		src: p,
	}
	if len(c.Groups) == 0 {
		c.Groups = []string{DefaultGroup}
	}
	if t := p.GetTimeouts(); t != nil {
		c.Timeouts = Timeouts{
			Connect: t.GetConnect().AsDuration(), FirstByte: t.GetFirstByte().AsDuration(),
			Idle: t.GetIdle().AsDuration(), Total: t.GetTotal().AsDuration(),
		}
	}
	for _, k := range p.GetKeys() {
		if k.GetSecret() != "" {
			c.Keys = append(c.Keys, Key{ID: k.GetId(), Secret: k.GetSecret(), Bearer: []string{"Bearer " + k.GetSecret()}})
		}
	}
	base, u, err := checkBaseURL(baseURLOf(p))
	if err != nil {
		c.Disabled = true
		return c, fmt.Errorf("channel %q: %w", c.Name, err)
	}
	c.BaseURL, c.Base = base, u
	if len(c.Keys) == 0 {
		c.Disabled = true
		return c, fmt.Errorf("channel %q: no keys", c.Name)
	}
	return c, nil
}

// baseURLOf is the channel's base URL; a Vertex channel without one uses
// Google's regional endpoint for its location.
func baseURLOf(p *snapshotv1.Channel) string {
	if p.GetBaseUrl() != "" || p.GetType() != adminv1.ChannelType_CHANNEL_TYPE_VERTEX || p.GetLocation() == "" {
		return p.GetBaseUrl()
	}
	if p.GetLocation() == "global" {
		return "https://aiplatform.googleapis.com"
	}
	return "https://" + p.GetLocation() + "-aiplatform.googleapis.com"
}

// checkBaseURL accepts absolute http(s) URLs without user info, query or
// fragment, and trims the trailing slash; it returns the URL parsed too.
func checkBaseURL(raw string) (string, url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", url.URL{}, fmt.Errorf("base URL does not parse")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", url.URL{}, fmt.Errorf("base URL must be an absolute http or https URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", url.URL{}, fmt.Errorf("base URL must not carry user info, a query or a fragment")
	}
	trimmed := strings.TrimRight(raw, "/")
	if u, err = url.Parse(trimmed); err != nil {
		return "", url.URL{}, fmt.Errorf("base URL does not parse")
	}
	return trimmed, *u, nil
}
