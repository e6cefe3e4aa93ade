package translate

import "encoding/json"

func (c *oaToAn) responseFormat(v []byte) error {
	f := &anFormat{Type: "json_schema"}
	typ, err := readOAResponseFormat(v, "", func() *json.RawMessage { return &f.Schema })
	switch {
	case err != nil:
		return err
	case typ == "json_object":
		return unsupported("response_format.type", "Anthropic needs a schema; use json_schema")
	case typ == "json_schema":
		c.out.OutputConfig = &anOutputConfig{Format: f}
	}
	return nil
}

// readOAResponseFormat reads response_format and returns its type: text,
// json_object or json_schema. A json_schema's schema goes where schema
// says; noDescription is why the target refuses a schema's description
// ("" refuses it unread).
func readOAResponseFormat(v []byte, noDescription string, schema func() *json.RawMessage) (string, error) {
	const p = "response_format"
	var typ string
	var js []byte
	err := members(v, p, func(k string, sv []byte) error {
		var err error
		switch k {
		case "type":
			typ, err = getString(sv, at(p, k))
		case "json_schema":
			js = sv
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	switch {
	case err != nil:
		return typ, err
	case typ == "text", typ == "json_object":
		return typ, nil
	case typ != "json_schema":
		return typ, invalid(at(p, "type"), "unknown type "+typ)
	case js == nil:
		return typ, invalid(at(p, "json_schema"), "required")
	}
	dst := schema()
	err = members(js, at(p, "json_schema"), func(k string, sv []byte) error {
		path := at(p, "json_schema."+k)
		var err error
		switch k {
		case "name": // an identifier only; the targets' formats have none
			_, err = getString(sv, path)
		case "strict": // the targets always decode against the schema
			if !isNull(sv) {
				_, err = getBool(sv, path)
			}
		case "schema":
			*dst, err = rawObject(sv, path)
		case "description":
			if noDescription == "" {
				return unsupported(path, "")
			}
			if _, err = getString(sv, path); err == nil {
				err = unsupported(path, noDescription)
			}
		default:
			err = unsupported(path, "")
		}
		return err
	})
	if err == nil && *dst == nil {
		err = invalid(at(p, "json_schema.schema"), "required")
	}
	return typ, err
}

func (c *oaToAn) tools(v []byte) error {
	return readOATools(v, false, func(d *oaFuncDecl) {
		t := anTool{Name: d.name, Description: d.description, InputSchema: d.params, Strict: d.strict, CacheControl: d.cache}
		if t.InputSchema == nil {
			t.InputSchema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		c.out.Tools = append(c.out.Tools, t)
	})
}

// oaFuncDecl is a function tool of an OpenAI request.
type oaFuncDecl struct {
	name, description string
	params            json.RawMessage // JSON Schema
	strict            *bool           // the last strict given
	anyStrict         bool            // some strict member was true
	cache             json.RawMessage // cache_control
}

// readOATools reads tools and hands each read function to add (also the
// one in error). nullIsAbsent takes every null member of a function as
// not given; otherwise only parameters and strict may be null.
func readOATools(v []byte, nullIsAbsent bool, add func(d *oaFuncDecl)) error {
	return elements(v, "tools", func(i int, tv []byte) error {
		p := idx("tools", i)
		var d oaFuncDecl
		var fn []byte
		typ, err := blockType(tv, p)
		if err == nil && typ != "function" {
			err = unsupported(at(p, "type"), "only function tools translate")
		}
		if err != nil {
			return err
		}
		err = members(tv, p, func(k string, fv []byte) error {
			var err error
			switch k {
			case "type":
			case "function":
				fn = fv
			case "cache_control":
				d.cache, err = rawObject(fv, at(p, k))
			default:
				err = unsupported(at(p, k), "unknown field")
			}
			return err
		})
		if err != nil {
			return err
		}
		if fn == nil {
			return invalid(at(p, "function"), "required")
		}
		fp := at(p, "function")
		err = members(fn, fp, func(k string, fv []byte) error {
			if nullIsAbsent && isNull(fv) {
				return nil
			}
			var err error
			switch k {
			case "name":
				d.name, err = getString(fv, at(fp, k))
			case "description":
				d.description, err = getString(fv, at(fp, k))
			case "parameters":
				if !isNull(fv) {
					d.params, err = rawObject(fv, at(fp, k))
				}
			case "strict":
				if !isNull(fv) {
					var b bool
					b, err = getBool(fv, at(fp, k))
					d.strict, d.anyStrict = &b, d.anyStrict || b
				}
			default:
				err = unsupported(at(fp, k), "unknown field")
			}
			return err
		})
		if err == nil && d.name == "" {
			err = invalid(at(fp, "name"), "required")
		}
		add(&d)
		return err
	})
}

func (c *oaToAn) toolChoiceOut() error {
	const p = "tool_choice"
	var tc *anToolChoice
	switch v := c.toolChoice; {
	case v == nil:
	case kind(v) == '"':
		s, err := oaChoiceMode(v, p)
		if err != nil {
			return err
		}
		if s == "required" {
			s = "any"
		}
		tc = &anToolChoice{Type: s}
	default:
		name, err := functionOnly(v, p, "only a named function translates")
		if err != nil {
			return err
		}
		tc = &anToolChoice{Type: "tool", Name: name}
	}
	if c.parallel != nil && !*c.parallel && len(c.out.Tools) > 0 {
		if tc == nil {
			tc = &anToolChoice{Type: "auto"}
		}
		if tc.Type != "none" {
			tc.DisableParallelToolUse = true
		}
	}
	c.out.ToolChoice = tc
	return nil
}

// oaChoiceMode reads a tool_choice given as a string: auto, none or
// required.
func oaChoiceMode(v []byte, p string) (string, error) {
	s, err := getString(v, p)
	if err == nil && s != "auto" && s != "none" && s != "required" {
		err = invalid(p, "unknown choice "+s)
	}
	return s, err
}

// functionOnly reads a named function (see namedFunction), refusing
// objects of other types with why.
func functionOnly(v []byte, p, why string) (string, error) {
	typ, err := blockType(v, p)
	if err == nil && typ != "function" {
		err = unsupported(at(p, "type"), why)
	}
	if err != nil {
		return "", err
	}
	return namedFunction(v, p)
}

// namedFunction reads {"type":"function","function":{"name":...}}.
func namedFunction(v []byte, p string) (string, error) {
	var name string
	err := members(v, p, func(k string, fv []byte) error {
		switch k {
		case "type":
			return nil
		case "function":
			return members(fv, at(p, k), func(fk string, nv []byte) error {
				if fk != "name" {
					return unsupported(at(p, "function."+fk), "")
				}
				var err error
				name, err = getString(nv, at(p, "function.name"))
				return err
			})
		}
		return unsupported(at(p, k), "")
	})
	if err == nil && name == "" {
		err = invalid(at(p, "function.name"), "required")
	}
	return name, err
}
