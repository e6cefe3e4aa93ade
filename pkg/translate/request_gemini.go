package translate

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A Gemini request is read once into gmIn; GeminiToOpenAIChat and
// GeminiToAnthropic then write what their protocol can express and refuse
// the rest by the path the client wrote. Gemini's REST API parses bodies as
// protobuf JSON, which accepts snake_case names too ("inline_data",
// "generation_config"), so keys are compared in lowerCamelCase.

type gmIn struct {
	system      []gmInPart
	contents    []gmInContent
	hasContents bool
	tools       []gmInTool
	toolsSeen   bool
	mode        string
	modePath    string
	allowed     []string
	allowedPath string
	gen         gmInGen
}

type gmInContent struct {
	role  string // "user" or "model"
	parts []gmInPart
	path  string
}

type gmInPart struct {
	path     string
	kind     byte // 't' text, 'i' inlineData, 'f' fileData, 'c' functionCall, 'r' functionResponse
	key      string
	text     string
	thought  bool
	sig      string
	mime     string
	data     string // base64 for inlineData, the URI for fileData
	id, name string
	args     json.RawMessage // call args or response object
}

type gmInTool struct {
	name, description string
	params            json.RawMessage // JSON Schema
	path              string
}

// gmInGen is generationConfig. Values are kept as written; the writers
// check them against their target (paths are fixed: "generationConfig.x"
// in the spelling the client used).
type gmInGen struct {
	temperature, topP, topK, seed, presence, frequency json.RawMessage
	tempValue                                          float64
	paths                                              map[string]string
	stop                                               []string
	maxOutput                                          int64
	mime                                               string
	schema                                             json.RawMessage // JSON Schema
	budget                                             *int64
	level                                              string
	includeThoughts                                    bool
}

// path returns the path of a generationConfig member as the client wrote it.
func (g *gmInGen) path(name string) string {
	if p, ok := g.paths[name]; ok {
		return p
	}
	if name == "thinkingBudget" || name == "thinkingLevel" {
		return "generationConfig.thinkingConfig." + name
	}
	return "generationConfig." + name
}

// camel turns a protobuf field name into its JSON name ("mime_type" ->
// "mimeType"); lowerCamel names come back unchanged.
func camel(k string) string {
	if strings.IndexByte(k, '_') < 0 {
		return k
	}
	b := make([]byte, 0, len(k))
	up := false
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_':
			up = true
			continue
		case up && c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		up = false
		b = append(b, c)
	}
	return string(b)
}

// readGemini reads a request body; opts.Model stands for the model in the
// URL, which the targets need in the body.
func readGemini(body []byte, opts Options) (*gmIn, error) {
	if !json.Valid(body) {
		return nil, invalid("", "body is not valid JSON")
	}
	g := &gmIn{gen: gmInGen{paths: map[string]string{}}}
	if err := members(body, "", g.field); err != nil {
		return nil, err
	}
	if !g.hasContents {
		return nil, invalid("contents", "required")
	}
	if err := g.matchResponses(); err != nil {
		return nil, err
	}
	if opts.Model == "" {
		return nil, invalid("model", "required")
	}
	return g, nil
}

func (g *gmIn) field(k string, v []byte) error {
	if isNull(v) && camel(k) != "contents" {
		return nil
	}
	var err error
	switch camel(k) {
	case "contents":
		if g.hasContents {
			return invalid(k, "given twice")
		}
		g.hasContents = true
		err = elements(v, k, func(i int, cv []byte) error {
			c, err := g.content(cv, idx(k, i), false)
			if err == nil {
				g.contents = append(g.contents, c)
			}
			return err
		})
	case "systemInstruction":
		var c gmInContent
		if c, err = g.content(v, k, true); err != nil {
			return err
		}
		for _, p := range c.parts {
			if p.kind != 't' || p.thought {
				return unsupported(at(p.path, p.key), "system instructions take text only")
			}
		}
		g.system = c.parts
	case "tools":
		if g.toolsSeen {
			return invalid(k, "given twice")
		}
		g.toolsSeen = true
		err = elements(v, k, func(i int, tv []byte) error { return g.tool(tv, idx(k, i)) })
	case "toolConfig":
		err = g.toolConfig(v, k)
	case "generationConfig":
		err = g.generationConfig(v, k)
	case "safetySettings":
		err = elements(v, k, func(i int, _ []byte) error {
			return unsupported(idx(k, i), "the upstream applies its own safety policy")
		})
	case "model":
		// The router takes the model from the URL; a body may repeat it.
		_, err = getString(v, k)
	case "cachedContent":
		err = unsupported(k, "cached content lives at Google")
	default:
		err = unsupported(k, "unknown field")
	}
	return err
}

// content reads a Content; a system instruction's role means nothing (some
// clients write "system") and is not checked.
func (g *gmIn) content(v []byte, p string, system bool) (gmInContent, error) {
	c := gmInContent{path: p}
	var parts []byte
	err := members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		var err error
		switch camel(k) {
		case "role":
			c.role, err = getString(fv, at(p, k))
		case "parts":
			parts = fv
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err != nil {
		return c, err
	}
	switch {
	case system || c.role == "":
		c.role = "user" // the API reads a content without role as the user's
	case c.role == "user", c.role == "model":
	default:
		return c, invalid(at(p, "role"), "must be user or model")
	}
	if parts == nil {
		return c, invalid(at(p, "parts"), "required")
	}
	pp := at(p, "parts")
	err = elements(parts, pp, func(i int, pv []byte) error {
		part, err := g.part(pv, idx(pp, i))
		if err != nil {
			return err
		}
		switch {
		case part.kind == 'c' && c.role != "model":
			return invalid(at(part.path, part.key), "function calls belong to model turns")
		case part.kind == 'r' && c.role != "user":
			return invalid(at(part.path, part.key), "function responses belong to user turns")
		}
		c.parts = append(c.parts, part)
		return nil
	})
	return c, err
}

func (g *gmIn) part(v []byte, p string) (gmInPart, error) {
	part := gmInPart{path: p}
	err := members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		kp := at(p, k)
		var err error
		name := camel(k)
		switch name {
		case "text", "inlineData", "fileData", "functionCall", "functionResponse":
			if part.kind != 0 {
				return invalid(p, "a part holds exactly one of text, inlineData, fileData, functionCall and functionResponse")
			}
			part.key = k
		}
		switch name {
		case "text":
			part.kind = 't'
			part.text, err = getString(fv, kp)
		case "thought":
			part.thought, err = getBool(fv, kp)
		case "thoughtSignature":
			part.sig, err = getString(fv, kp)
		case "inlineData":
			part.kind = 'i'
			err = part.blob(fv, kp)
		case "fileData":
			part.kind = 'f'
			err = part.file(fv, kp)
		case "functionCall":
			part.kind = 'c'
			err = part.call(fv, kp)
		case "functionResponse":
			part.kind = 'r'
			err = part.response(fv, kp)
		case "executableCode", "codeExecutionResult":
			err = unsupported(kp, "code execution runs at Google")
		case "videoMetadata", "mediaResolution", "partMetadata":
			err = unsupported(kp, "")
		default:
			err = unsupported(kp, "unknown field")
		}
		return err
	})
	switch {
	case err != nil:
		return part, err
	case part.kind == 0 && part.sig != "":
		part.kind, part.key = 't', "text" // a signature alone rides on empty text
	case part.kind == 0:
		return part, invalid(p, "empty part")
	case part.thought && part.kind != 't':
		return part, invalid(at(p, "thought"), "only text parts are thoughts")
	}
	return part, nil
}

func (part *gmInPart) blob(v []byte, p string) error {
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch camel(k) {
		case "mimeType":
			part.mime, err = getString(fv, at(p, k))
		case "data":
			part.data, err = getString(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err == nil && (part.mime == "" || part.data == "") {
		err = invalid(p, "mimeType and data are required")
	}
	return err
}

func (part *gmInPart) file(v []byte, p string) error {
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch camel(k) {
		case "mimeType":
			part.mime, err = getString(fv, at(p, k))
		case "fileUri":
			part.data, err = getString(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err == nil && part.data == "" {
		err = invalid(at(p, "fileUri"), "required")
	}
	return err
}

func (part *gmInPart) call(v []byte, p string) error {
	err := members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		var err error
		switch camel(k) {
		case "id":
			part.id, err = getString(fv, at(p, k))
		case "name":
			part.name, err = getString(fv, at(p, k))
		case "args":
			part.args, err = rawObject(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err == nil && part.name == "" {
		err = invalid(at(p, "name"), "required")
	}
	if part.args == nil {
		part.args = json.RawMessage(`{}`)
	}
	return err
}

func (part *gmInPart) response(v []byte, p string) error {
	err := members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		kp := at(p, k)
		var err error
		switch camel(k) {
		case "id":
			part.id, err = getString(fv, kp)
		case "name":
			part.name, err = getString(fv, kp)
		case "response":
			part.args, err = rawObject(fv, kp)
		case "willContinue":
			err = notTrue(fv, kp, "non-blocking function calls are Gemini's")
		case "scheduling":
			err = unsupported(kp, "non-blocking function calls are Gemini's")
		case "parts":
			err = elements(fv, kp, func(i int, _ []byte) error {
				return unsupported(idx(kp, i), "function responses translate as JSON only")
			})
		default:
			err = unsupported(kp, "unknown field")
		}
		return err
	})
	if err == nil && (part.name == "" || part.args == nil) {
		err = invalid(p, "name and response are required")
	}
	return err
}

// matchResponses gives every function call an id and every function
// response the id of its call. Gemini may leave ids out: a call then gets
// "call_<n>" (n counts the request's calls) and a response the id of the
// first call of the same name in the preceding model turn not yet answered.
func (g *gmIn) matchResponses() error {
	type call struct {
		id, name string
		used     bool
	}
	var pending []call
	n := 0
	for ci := range g.contents {
		c := &g.contents[ci]
		if c.role == "model" {
			pending = pending[:0]
			for pi := range c.parts {
				part := &c.parts[pi]
				if part.kind != 'c' {
					continue
				}
				if part.id == "" {
					part.id = "call_" + strconv.Itoa(n)
				}
				n++
				pending = append(pending, call{id: part.id, name: part.name})
			}
			continue
		}
		for pi := range c.parts {
			part := &c.parts[pi]
			if part.kind != 'r' {
				continue
			}
			found := false
			for k := range pending {
				pc := &pending[k]
				if !pc.used && (part.id == pc.id || part.id == "" && pc.name == part.name) {
					pc.used, part.id, found = true, pc.id, true
					break
				}
			}
			if !found && part.id == "" {
				return invalid(at(part.path, part.key+".name"), "no function call named "+part.name+" in the model turn before it")
			}
		}
	}
	return nil
}

func (g *gmIn) tool(v []byte, p string) error {
	return members(v, p, func(k string, fv []byte) error {
		kp := at(p, k)
		switch camel(k) {
		case "functionDeclarations":
			return elements(fv, kp, func(i int, dv []byte) error { return g.declaration(dv, idx(kp, i)) })
		case "googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext", "computerUse", "fileSearch", "googleMaps", "mcpServers":
			return unsupported(kp, "Google-hosted tool")
		}
		return unsupported(kp, "unknown field")
	})
}

func (g *gmIn) declaration(v []byte, p string) error {
	t := gmInTool{path: p}
	err := members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		kp := at(p, k)
		var err error
		switch camel(k) {
		case "name":
			t.name, err = getString(fv, kp)
		case "description":
			t.description, err = getString(fv, kp)
		case "parameters":
			if t.params != nil {
				return invalid(kp, "give parameters or parametersJsonSchema, not both")
			}
			t.params, err = schemaToJSON(fv, kp)
		case "parametersJsonSchema":
			if t.params != nil {
				return invalid(kp, "give parameters or parametersJsonSchema, not both")
			}
			t.params, err = rawObject(fv, kp)
		case "behavior":
			var b string
			if b, err = getString(fv, kp); err == nil && b != "BLOCKING" && b != "UNSPECIFIED" {
				err = unsupported(kp, "non-blocking function calls are Gemini's")
			}
		case "response", "responseJsonSchema":
			err = unsupported(kp, "the target declares no function results")
		default:
			err = unsupported(kp, "unknown field")
		}
		return err
	})
	if err == nil && t.name == "" {
		err = invalid(at(p, "name"), "required")
	}
	g.tools = append(g.tools, t)
	return err
}

func (g *gmIn) toolConfig(v []byte, p string) error {
	return members(v, p, func(k string, fv []byte) error {
		kp := at(p, k)
		switch camel(k) {
		case "functionCallingConfig":
			return members(fv, kp, func(fk string, mv []byte) error {
				if isNull(mv) {
					return nil
				}
				mp := at(kp, fk)
				var err error
				switch camel(fk) {
				case "mode":
					g.modePath = mp
					g.mode, err = getString(mv, mp)
					switch g.mode {
					case "AUTO", "ANY", "NONE", "VALIDATED", "MODE_UNSPECIFIED":
					default:
						err = invalid(mp, "unknown mode "+g.mode)
					}
				case "allowedFunctionNames":
					g.allowedPath = mp
					g.allowed, err = stringOrList(mv, mp)
				default:
					err = unsupported(mp, "unknown field")
				}
				return err
			})
		case "retrievalConfig":
			return unsupported(kp, "")
		}
		return unsupported(kp, "unknown field")
	})
}

func (g *gmIn) generationConfig(v []byte, p string) error {
	gen := &g.gen
	return members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		kp := at(p, k)
		name := camel(k)
		gen.paths[name] = kp
		var err error
		switch name {
		case "temperature":
			gen.temperature, gen.tempValue, err = rawNumber(fv, kp)
		case "topP":
			gen.topP, _, err = rawNumber(fv, kp)
		case "topK":
			gen.topK, err = rawInt(fv, kp)
		case "seed":
			gen.seed, err = rawInt(fv, kp)
		case "presencePenalty":
			gen.presence, err = nonZero(fv, kp)
		case "frequencyPenalty":
			gen.frequency, err = nonZero(fv, kp)
		case "maxOutputTokens":
			gen.maxOutput, err = positive(fv, kp)
		case "stopSequences":
			gen.stop, err = stringOrList(fv, kp)
		case "candidateCount":
			err = onlyInt(fv, kp, 1, "one candidate is translated")
		case "responseMimeType":
			gen.mime, err = getString(fv, kp)
			switch gen.mime {
			case "", "text/plain", "application/json":
			case "text/x.enum":
				err = unsupported(kp, "enum responses are Gemini's")
			default:
				err = unsupported(kp, "mime type "+gen.mime)
			}
		case "responseSchema":
			if gen.schema != nil {
				return invalid(kp, "give responseSchema or responseJsonSchema, not both")
			}
			gen.schema, err = schemaToJSON(fv, kp)
		case "responseJsonSchema":
			if gen.schema != nil {
				return invalid(kp, "give responseSchema or responseJsonSchema, not both")
			}
			gen.schema, err = rawObject(fv, kp)
		case "thinkingConfig":
			err = gen.thinking(fv, kp)
		case "responseLogprobs", "enableEnhancedCivicAnswers", "audioTimestamp":
			err = notTrue(fv, kp, "")
		case "logprobs":
			err = onlyInt(fv, kp, 0, "log probabilities are not translated")
		case "responseModalities":
			err = textModalities(fv, kp, true, "the target answers in text only")
		case "speechConfig", "mediaResolution", "imageConfig", "routingConfig", "modelSelectionConfig":
			err = unsupported(kp, "")
		default:
			err = unsupported(kp, "unknown field")
		}
		return err
	})
}

// nonZero returns a number unless it is zero, which means "off".
func nonZero(v []byte, p string) (json.RawMessage, error) {
	raw, f, err := rawNumber(v, p)
	if err != nil || f == 0 {
		return nil, err
	}
	return raw, nil
}

func (gen *gmInGen) thinking(v []byte, p string) error {
	err := members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		kp := at(p, k)
		gen.paths[camel(k)] = kp
		var err error
		switch camel(k) {
		case "includeThoughts":
			gen.includeThoughts, err = getBool(fv, kp)
		case "thinkingBudget":
			var n int64
			if n, err = getInt(fv, kp); err == nil && n < -1 {
				err = invalid(kp, "must be -1 (dynamic), 0 (off) or a token budget")
			}
			gen.budget = &n
		case "thinkingLevel":
			gen.level, err = getString(fv, kp)
			gen.level = strings.ToLower(gen.level)
			switch gen.level {
			case "minimal", "low", "medium", "high":
			case "thinking_level_unspecified":
				gen.level = ""
			default:
				err = invalid(kp, "unknown level "+gen.level)
			}
		default:
			err = unsupported(kp, "unknown field")
		}
		return err
	})
	if err == nil && gen.budget != nil && gen.level != "" {
		err = invalid(p, "give thinkingBudget or thinkingLevel, not both")
	}
	return err
}

// Parts shared by the writers.

// decodeText reads an inlineData text/plain payload; the target takes the
// text itself.
func decodeText(part *gmInPart) (string, error) {
	b, err := base64.StdEncoding.DecodeString(part.data)
	if err != nil || !utf8.Valid(b) {
		return "", invalid(at(part.path, part.key+".data"), "must be base64 of UTF-8 text")
	}
	return string(b), nil
}

// fetchable reports whether another provider can read a fileData URI:
// plain web addresses only, not Google Cloud Storage nor files uploaded to
// Google's Files API (both need Google credentials).
func fetchable(uri string) bool {
	if !strings.HasPrefix(uri, "https://") && !strings.HasPrefix(uri, "http://") {
		return false
	}
	return !strings.Contains(uri, "generativelanguage.googleapis.com/") && !strings.Contains(uri, "://storage.googleapis.com/")
}

// responseText renders a functionResponse.response for the target's tool
// result: an object holding only "output" (or "error") as a string gives
// that string, anything else compact JSON.
func responseText(resp json.RawMessage) (text string, isError bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(resp, &m) == nil && len(m) == 1 {
		for k, v := range m {
			var s string
			if (k == "output" || k == "error") && kind(v) == '"' && json.Unmarshal(v, &s) == nil {
				return s, k == "error"
			}
		}
	}
	s, _ := compactObject(resp)
	return s, false
}
