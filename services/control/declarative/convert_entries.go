package declarative

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

func (c *converter) channel(path string, ch *channelSpec) Channel {
	out := &adminv1.Channel{
		Name:       ch.Name,
		BaseUrl:    ch.BaseURL,
		Models:     ch.Models,
		ModelMap:   ch.ModelMap,
		Groups:     ch.Groups,
		Weight:     1,
		Limits:     c.limits(path, "", &ch.limitsSpec),
		ApiVersion: ch.APIVersion,
		Project:    ch.Project,
		Location:   ch.Location,
	}

	known := false
	for _, t := range channelTypes {
		if t.name == ch.Type {
			out.Type, known = t.typ, true
		}
	}
	switch {
	case ch.Type == "":
		c.ps.add(path, "type", "required (want %s)", typeList())
	case !known:
		c.ps.add(path, "type", "unknown channel type %q (want %s)", ch.Type, typeList())
	}

	switch {
	case ch.BaseURL != "":
		if msg := checkURL(ch.BaseURL); msg != "" {
			c.ps.add(path, "base_url", "%s", msg)
		}
	case known && out.Type != adminv1.ChannelType_CHANNEL_TYPE_VERTEX:
		c.ps.add(path, "base_url", "required for %s channels", ch.Type)
	}
	if out.Type == adminv1.ChannelType_CHANNEL_TYPE_VERTEX {
		if ch.Project == "" {
			c.ps.add(path, "project", "required for vertex channels")
		}
		if ch.Location == "" {
			c.ps.add(path, "location", "required for vertex channels")
		}
	}

	keys := c.channelKeys(path, ch.Keys)
	c.modelList(path, "models", ch.Models, maxModels)
	served := map[string]bool{}
	for _, m := range ch.Models {
		served[m] = true
	}
	for _, from := range slices.Sorted(maps.Keys(ch.ModelMap)) {
		to := ch.ModelMap[from]
		if !served[from] {
			c.ps.add(path, "model_map", "%q is not one of models", from)
		}
		if !validModelName(to) {
			c.ps.add(path, "model_map", "%q maps to %q, not a valid model name", from, to)
		}
	}
	seen := map[string]bool{}
	for i, g := range ch.Groups {
		field := fmt.Sprintf("groups[%d]", i)
		if seen[g] {
			c.ps.add(path, field, "%q listed twice", g)
		}
		seen[g] = true
		c.knownGroup(path, field, g)
	}

	if !fitsInt32(ch.Priority) {
		c.ps.add(path, "priority", "out of range")
	}
	out.Priority = int32(ch.Priority)
	if ch.Weight != nil {
		if *ch.Weight < 0 || *ch.Weight > maxWeight {
			c.ps.add(path, "weight", "must be between 0 and %d", maxWeight)
		}
		out.Weight = int32(min(max(*ch.Weight, 0), maxWeight))
	}
	if ch.CostRatio != "" {
		out.CostRatioPpm = proto.Int64(c.ratio(path, "cost_ratio", ch.CostRatio))
	}

	out.Status = c.status(path, ch.Status)
	if ch.Enabled != nil {
		want := adminv1.Status_STATUS_ACTIVE
		if !*ch.Enabled {
			want = adminv1.Status_STATUS_DISABLED
		}
		if ch.Status != "" && want != out.Status {
			c.ps.add(path, "enabled", "%v contradicts status: %s", *ch.Enabled, ch.Status)
		}
		out.Status = want
	}
	out.Timeouts = c.timeouts(path, ch.Timeouts)
	return Channel{Channel: out, Keys: keys}
}

func (c *converter) channelKeys(path string, keys []string) []string {
	if keys == nil {
		return nil
	}
	if len(keys) > maxChannelKeys {
		c.ps.add(path, "keys", "more than %d keys", maxChannelKeys)
	}
	seen := map[string]int{}
	for i, k := range keys {
		field := fmt.Sprintf("keys[%d]", i)
		name, isVar := unexpanded(k)
		switch j, dup := seen[k]; {
		case strings.TrimSpace(k) == "":
			c.ps.add(path, field, "empty")
		case isVar:
			c.ps.add(path, field, "${%s} was not expanded: set it and expand the file before applying", name)
		case len(k) > maxKeyLen:
			c.ps.add(path, field, "longer than %d bytes", maxKeyLen)
		case dup:
			c.ps.add(path, field, "same as keys[%d]", j)
		default:
			seen[k] = i
		}
	}
	return append(make([]string, 0, len(keys)), keys...)
}

func (c *converter) timeouts(path string, t *timeoutsSpec) *adminv1.ChannelTimeouts {
	if t == nil {
		return nil
	}
	out := &adminv1.ChannelTimeouts{}
	set := func(field, s string) {
		if s == "" {
			return
		}
		d, msg := parseDuration(s)
		if msg != "" {
			c.ps.add(path, "timeouts."+field, "%s", msg)
		}
		switch field {
		case "connect":
			out.Connect = d
		case "first_byte":
			out.FirstByte = d
		case "idle":
			out.Idle = d
		case "total":
			out.Total = d
		}
	}
	set("connect", t.Connect)
	set("first_byte", t.FirstByte)
	set("idle", t.Idle)
	set("total", t.Total)
	if out.Connect == nil && out.FirstByte == nil && out.Idle == nil && out.Total == nil {
		return nil
	}
	return out
}

func (c *converter) user(path string, u *userSpec, keys map[string]string) User {
	out := &adminv1.User{
		Name:         u.Name,
		Group:        u.Group,
		Role:         adminv1.Role_ROLE_USER,
		Status:       c.status(path, u.Status),
		QuotaNanoUsd: c.optionalUSD(path, "quota_usd", u.QuotaUSD, "quota", 0),
		Limits:       c.limits(path, "", &u.limitsSpec),
	}
	if out.Group == "" {
		out.Group = "default"
	}
	c.knownGroup(path, "group", out.Group)
	if u.Role != "" {
		known := false
		for _, r := range roles {
			if r.name == u.Role {
				out.Role, known = r.role, true
			}
		}
		if !known {
			c.ps.add(path, "role", "unknown role %q (want owner, admin, viewer, user)", u.Role)
		}
	}
	user := User{User: out}
	seen := map[string]string{}
	for i, t := range u.Tokens {
		tpath := entryPath(path, "tokens", i, t.Name)
		c.name(tpath, t.Name, true, seen)
		user.Tokens = append(user.Tokens, c.token(tpath, u.Name, &t, keys))
	}
	return user
}

func (c *converter) token(path, user string, t *tokenSpec, keys map[string]string) Token {
	out := &adminv1.Token{
		User:         user,
		Name:         t.Name,
		Models:       t.Models,
		QuotaNanoUsd: c.optionalUSD(path, "quota_usd", t.QuotaUSD, "quota", 0),
		Limits:       c.limits(path, "", &t.limitsSpec),
		Status:       c.status(path, t.Status),
	}
	c.modelList(path, "models", t.Models, maxTokenModels)
	if t.ExpiresAt != "" {
		ts, msg := parseTime(t.ExpiresAt)
		if msg != "" {
			c.ps.add(path, "expires_at", "%s", msg)
		}
		out.ExpireTime = ts
	}
	if t.Key != "" {
		name, isVar := unexpanded(t.Key)
		switch other := keys[t.Key]; {
		case isVar:
			c.ps.add(path, "key", "${%s} was not expanded: set it and expand the file before applying", name)
		case !validTokenKey(t.Key):
			c.ps.add(path, "key", "must be %d to %d printable ASCII characters without spaces", minTokenKeyLen, maxTokenKeyLen)
		case other != "":
			c.ps.add(path, "key", "same as the key of %s", other)
		default:
			keys[t.Key] = path
		}
	}
	return Token{Token: out, Key: t.Key}
}
