package declarative

import (
	"slices"
	"strings"
	"testing"
)

// A minimal valid entry of each kind, to build broken documents from.
const (
	okChannel = `{name: c, type: openai, base_url: "https://api.openai.com/v1", models: [m]}`
	okModel   = `{name: m, input: "1", output: "2"}`
)

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{
			name: "malformed YAML",
			doc:  "channels:\n  - name: a\n   type: openai\n",
			want: []string{"line 1: did not find expected '-' indicator"},
		},
		{
			name: "tab indentation",
			doc:  "channels:\n\t- name: a\n",
			want: []string{"line 2: found character that cannot start any token"},
		},
		{name: "empty document", doc: "# nothing\n", want: []string{"the document is empty"}},
		{
			name: "two documents",
			doc:  "groups: [{name: a}]\n---\ngroups: [{name: b}]\n",
			want: []string{"line 2: more than one YAML document"},
		},
		{name: "not a mapping", doc: "- a\n- b\n", want: []string{"line 1: want a mapping, got a list"}},
		{
			name: "unknown top-level field",
			doc:  "chanels: []\n",
			want: []string{"chanels: unknown field"},
		},
		{
			name: "unknown channel field",
			doc:  "channels:\n  - name: c\n    type: openai\n    base_url: https://h\n    colour: red\n",
			want: []string{`channels[0] "c": colour: unknown field`},
		},
		{
			name: "unknown field in a tier",
			doc:  "models:\n  - {name: m, input: \"1\", output: \"1\", tiers: [{above_input_tokens: 5, input: \"1\", output: \"1\", inptu: \"2\"}]}\n",
			want: []string{`models[0] "m": tiers[0].inptu: unknown field`},
		},
		{
			name: "unknown token field",
			doc:  "users:\n  - name: u\n    tokens:\n      - {name: t, secret: x}\n",
			want: []string{`users[0] "u".tokens[0] "t": secret: unknown field`},
		},
		{
			name: "field given twice",
			doc:  "groups:\n  - name: g\n    ratio: \"1\"\n    ratio: \"2\"\n",
			want: []string{`groups[0] "g": ratio: given twice (first on line 3)`},
		},
		{
			name: "unknown channel type",
			doc:  "channels:\n  - {name: openai-main, type: foo, base_url: \"https://h\"}\n",
			want: []string{`channels[0] "openai-main": type: unknown channel type "foo" (want openai, azure, anthropic, gemini, vertex)`},
		},
		{
			name: "missing channel type and URL",
			doc:  "channels:\n  - name: c\n",
			want: []string{`channels[0] "c": type: required (want openai, azure, anthropic, gemini, vertex)`},
		},
		{
			name: "missing base_url",
			doc:  "channels:\n  - {name: c, type: azure}\n",
			want: []string{`channels[0] "c": base_url: required for azure channels`},
		},
		{
			name: "bad base_url",
			doc:  "channels:\n  - {name: c, type: openai, base_url: \"ftp://h\"}\n  - {name: d, type: openai, base_url: \"https://u:p@h\"}\n",
			want: []string{
				`channels[0] "c": base_url: "ftp://h" is not an http(s) URL`,
				`channels[1] "d": base_url: must not contain credentials (put them in keys)`,
			},
		},
		{
			name: "vertex needs project and location",
			doc:  "channels:\n  - {name: v, type: vertex}\n",
			want: []string{
				`channels[0] "v": project: required for vertex channels`,
				`channels[0] "v": location: required for vertex channels`,
			},
		},
		{
			name: "wrong value types",
			doc:  "channels:\n  - {name: c, type: openai, base_url: \"https://h\", priority: high, models: gpt-4o, enabled: maybe}\n",
			want: []string{
				`channels[0] "c": priority: want an integer, got "high"`,
				`channels[0] "c": models: want a list of strings, got "gpt-4o"`,
				`channels[0] "c": enabled: want true or false, got "maybe"`,
			},
		},
		{
			name: "a secret is never echoed",
			doc:  "channels:\n  - {name: c, type: openai, base_url: \"https://h\", keys: sk-very-secret-key}\n",
			want: []string{`channels[0] "c": keys: want a list of strings, got a string`},
		},
		{
			name: "channel keys",
			doc:  "channels:\n  - {name: c, type: openai, base_url: \"https://h\", keys: [\"k1\", \"\", \"k1\"]}\n",
			want: []string{`channels[0] "c": keys[1]: empty`, `channels[0] "c": keys[2]: same as keys[0]`},
		},
		{
			name: "channel model lists",
			doc: "channels:\n  - name: c\n    type: openai\n    base_url: https://h\n    models: [a, \"b c\", a]\n" +
				"    model_map: {x: y, a: \"\"}\n",
			want: []string{
				`channels[0] "c": models[1]: "b c" is not a valid model name: use 1 to 128 characters without spaces`,
				`channels[0] "c": models[2]: "a" is also models[0]`,
				`channels[0] "c": model_map: "a" maps to "", not a valid model name`,
				`channels[0] "c": model_map: "x" is not one of models`,
			},
		},
		{
			name: "channel numbers and switches",
			doc: "channels:\n  - name: c\n    type: openai\n    base_url: https://h\n    weight: 10001\n    rpm: 0\n" +
				"    cost_ratio: \"-1\"\n    status: paused\n    priority: 9999999999\n",
			want: []string{
				`channels[0] "c": rpm: must be positive (leave it out for no limit)`,
				`channels[0] "c": priority: out of range`,
				`channels[0] "c": weight: must be between 0 and 10000`,
				`channels[0] "c": cost_ratio: negative ratio`,
				`channels[0] "c": status: unknown status "paused" (want active, disabled)`,
			},
		},
		{
			name: "enabled contradicts status",
			doc:  "channels:\n  - {name: c, type: openai, base_url: \"https://h\", status: active, enabled: false}\n",
			want: []string{`channels[0] "c": enabled: false contradicts status: active`},
		},
		{
			name: "timeouts",
			doc:  "channels:\n  - {name: c, type: openai, base_url: \"https://h\", timeouts: {connect: 5, idle: -1s, total: 2m}}\n",
			want: []string{
				`channels[0] "c": timeouts.connect: "5" is not a duration (e.g. 10s, 2m)`,
				`channels[0] "c": timeouts.idle: must be positive`,
			},
		},
		{
			name: "unknown group on a channel",
			doc:  "channels:\n  - {name: c, type: openai, base_url: \"https://h\", groups: [default, vip]}\n",
			want: []string{`channels[0] "c": groups[1]: unknown group "vip" (define it under groups, or use "default")`},
		},
		{
			name: "negative price",
			doc:  "models:\n  - {name: gpt-4o, input: \"-2.50\", output: \"10\"}\n",
			want: []string{`models[0] "gpt-4o": input: negative price`},
		},
		{
			name: "more than 9 decimal places",
			doc:  "models:\n  - {name: gpt-4o, input: \"0.0000000001\", output: \"10\"}\n",
			want: []string{`models[0] "gpt-4o": input: more than 9 decimal places`},
		},
		{
			name: "price syntax, bound and required",
			doc:  "models:\n  - {name: m, input: \"1e-3\", cache_read: \"10001\", request_fee: \"-1\"}\n",
			want: []string{
				`models[0] "m": input: "1e-3" is not a decimal number of USD (e.g. "2.50")`,
				`models[0] "m": output: required (USD per 1M tokens, e.g. "2.50"; "0" for free)`,
				`models[0] "m": cache_read: 10001 USD is above the largest price, 10000 USD`,
				`models[0] "m": request_fee: negative request fee`,
			},
		},
		{
			name: "tiers",
			doc: "models:\n  - name: m\n    input: \"1\"\n    output: \"1\"\n    max_output_tokens: -1\n" +
				"    tiers: [{above_input_tokens: 200000, input: \"2\", output: \"2\"}, {above_input_tokens: 100000, input: \"3\"}]\n",
			want: []string{
				`models[0] "m": max_output_tokens: must not be negative`,
				`models[0] "m": tiers[1].above_input_tokens: must be above the previous tier's 200000`,
				`models[0] "m": tiers[1].output: required (USD per 1M tokens, e.g. "2.50"; "0" for free)`,
			},
		},
		{
			name: "duplicate names",
			doc: "channels: [" + okChannel + ", " + okChannel + "]\nmodels: [" + okModel + ", " + okModel + "]\n" +
				"groups: [{name: g}, {name: g}]\nusers:\n  - {name: u, tokens: [{name: t}, {name: t}]}\n  - {name: u}\n",
			want: []string{
				`groups[1] "g": name: duplicate of groups[0] "g"`,
				`models[1] "m": name: duplicate of models[0] "m"`,
				`channels[1] "c": name: duplicate of channels[0] "c"`,
				`users[0] "u".tokens[1] "t": name: duplicate of users[0] "u".tokens[0] "t"`,
				`users[1] "u": name: duplicate of users[0] "u"`,
			},
		},
		{
			name: "invalid and missing names",
			doc:  "groups: [{name: \"-g\"}, {ratio: \"1\"}]\nmodels: [{name: \"a b\", input: \"1\", output: \"1\"}]\n",
			want: []string{
				`groups[0] "-g": name: "-g" is not a valid name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
				`groups[1]: name: required`,
				`models[0] "a b": name: "a b" is not a valid model name: use 1 to 128 characters without spaces`,
			},
		},
		{
			name: "group ratio",
			doc:  "groups: [{name: a, ratio: \"1.0000001\"}, {name: b, ratio: \"101\"}, {name: c, ratio: x}]\n",
			want: []string{
				`groups[0] "a": ratio: more than 6 decimal places`,
				`groups[1] "b": ratio: "101" is above the largest ratio, 100`,
				`groups[2] "c": ratio: "x" is not a decimal ratio (e.g. "1.0")`,
			},
		},
		{
			name: "user fields",
			doc:  "users:\n  - {name: u, group: vip, role: root, quota_usd: ten, status: gone, tpm: -5}\n",
			want: []string{
				`users[0] "u": status: unknown status "gone" (want active, disabled)`,
				`users[0] "u": quota_usd: "ten" is not a decimal number of USD (e.g. "2.50")`,
				`users[0] "u": tpm: must be positive (leave it out for no limit)`,
				`users[0] "u": group: unknown group "vip" (define it under groups, or use "default")`,
				`users[0] "u": role: unknown role "root" (want owner, admin, viewer, user)`,
			},
		},
		{
			name: "token fields",
			doc: "users:\n  - name: u\n    tokens:\n      - {name: a, expires_at: \"2027-13-01\", quota_usd: \"-1\", key: short}\n" +
				"      - {name: b, key: sk-bc-0123456789abcdef, models: [x, x]}\n" +
				"  - name: v\n    tokens: [{name: c, key: sk-bc-0123456789abcdef}, {name: d, key: \"${TOKEN}\"}]\n",
			want: []string{
				`users[0] "u".tokens[0] "a": quota_usd: negative quota`,
				`users[0] "u".tokens[0] "a": expires_at: "2027-13-01" is not an RFC 3339 time (e.g. 2027-01-01T00:00:00Z)`,
				`users[0] "u".tokens[0] "a": key: must be 16 to 256 printable ASCII characters without spaces`,
				`users[0] "u".tokens[1] "b": models[1]: "x" is also models[0]`,
				`users[1] "v".tokens[0] "c": key: same as the key of users[0] "u".tokens[1] "b"`,
				`users[1] "v".tokens[1] "d": key: ${TOKEN} was not expanded: set it and expand the file before applying`,
			},
		},
		{
			name: "every problem at once",
			doc: "channels:\n  - {name: c, type: foo, base_url: \"https://h\"}\nmodels:\n  - {name: m, input: \"-1\", output: \"1.0000000001\"}\n" +
				"users:\n  - {name: u, group: nope}\n",
			want: []string{
				`models[0] "m": input: negative price`,
				`models[0] "m": output: more than 9 decimal places`,
				`channels[0] "c": type: unknown channel type "foo" (want openai, azure, anthropic, gemini, vertex)`,
				`users[0] "u": group: unknown group "nope" (define it under groups, or use "default")`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse accepted the document: %+v", f)
			}
			if f != nil {
				t.Errorf("Parse returned a file with its error")
			}
			got := problemStrings(t, err)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
