package translate

import "encoding/json"

func (c *oaToAn) responseFormat(v []byte) error {
	const p = "response_format"
	var typ string
	var schema []byte
	err := members(v, p, func(k string, sv []byte) error {
		var err error
		switch k {
		case "type":
			typ, err = getString(sv, at(p, k))
		case "json_schema":
			schema = sv
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err != nil {
		return err
	}
	switch typ {
	case "text":
		return nil
	case "json_object":
		return unsupported(at(p, "type"), "Anthropic needs a schema; use json_schema")
	case "json_schema":
	default:
		return invalid(at(p, "type"), "unknown type "+typ)
	}
	if schema == nil {
		return invalid(at(p, "json_schema"), "required")
	}
	f := &anFormat{Type: "json_schema"}
	err = members(schema, at(p, "json_schema"), func(k string, sv []byte) error {
		path := at(p, "json_schema."+k)
		var err error
		switch k {
		case "name": // an identifier only; Anthropic's format has none
			_, err = getString(sv, path)
		case "strict": // Anthropic always decodes against the schema
			if !isNull(sv) {
				_, err = getBool(sv, path)
			}
		case "schema":
			f.Schema, err = rawObject(sv, path)
		default:
			err = unsupported(path, "")
		}
		return err
	})
	if err != nil {
		return err
	}
	if f.Schema == nil {
		return invalid(at(p, "json_schema.schema"), "required")
	}
	c.out.OutputConfig = &anOutputConfig{Format: f}
	return nil
}

func (c *oaToAn) tools(v []byte) error {
	return elements(v, "tools", func(i int, tv []byte) error {
		p := idx("tools", i)
		var t anTool
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
				t.CacheControl, err = rawObject(fv, at(p, k))
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
			var err error
			switch k {
			case "name":
				t.Name, err = getString(fv, at(fp, k))
			case "description":
				t.Description, err = getString(fv, at(fp, k))
			case "parameters":
				if !isNull(fv) {
					t.InputSchema, err = rawObject(fv, at(fp, k))
				}
			case "strict":
				if !isNull(fv) {
					var b bool
					b, err = getBool(fv, at(fp, k))
					t.Strict = &b
				}
			default:
				err = unsupported(at(fp, k), "unknown field")
			}
			return err
		})
		if err != nil {
			return err
		}
		if t.Name == "" {
			return invalid(at(fp, "name"), "required")
		}
		if t.InputSchema == nil {
			t.InputSchema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		c.out.Tools = append(c.out.Tools, t)
		return nil
	})
}

func (c *oaToAn) toolChoiceOut() error {
	const p = "tool_choice"
	var tc *anToolChoice
	switch v := c.toolChoice; {
	case v == nil:
	case kind(v) == '"':
		s, err := getString(v, p)
		if err != nil {
			return err
		}
		switch s {
		case "auto", "none":
			tc = &anToolChoice{Type: s}
		case "required":
			tc = &anToolChoice{Type: "any"}
		default:
			return invalid(p, "unknown choice "+s)
		}
	default:
		var name string
		typ, err := blockType(v, p)
		if err == nil && typ != "function" {
			err = unsupported(at(p, "type"), "only a named function translates")
		}
		if err != nil {
			return err
		}
		err = members(v, p, func(k string, fv []byte) error {
			var err error
			switch k {
			case "type":
			case "function":
				err = members(fv, at(p, k), func(fk string, nv []byte) error {
					if fk != "name" {
						return unsupported(at(p, "function."+fk), "")
					}
					var err error
					name, err = getString(nv, at(p, "function.name"))
					return err
				})
			default:
				err = unsupported(at(p, k), "")
			}
			return err
		})
		if err != nil {
			return err
		}
		if name == "" {
			return invalid(at(p, "function.name"), "required")
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
