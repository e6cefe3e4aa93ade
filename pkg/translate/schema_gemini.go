package translate

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// schemaToJSON converts a Gemini Schema (the OpenAPI 3.0 subset used by
// functionDeclarations.parameters and responseSchema) into the JSON Schema
// OpenAI and Anthropic take. Type names are lower-cased, nullable becomes a
// "null" type (and a null enum value), example becomes examples, and
// propertyOrdering, an ordering hint JSON Schema cannot state, is accepted
// without effect. Any other member is refused by name.
func schemaToJSON(v []byte, p string) (json.RawMessage, error) {
	out, err := schemaObject(v, p, 0)
	if err != nil {
		return nil, err
	}
	b, err := marshal(out)
	return b, err
}

// maxSchemaDepth bounds the recursion on hostile input.
const maxSchemaDepth = 64

func schemaObject(v []byte, p string, depth int) (map[string]any, error) {
	if depth > maxSchemaDepth {
		return nil, invalid(p, "schema nested too deeply")
	}
	out := map[string]any{}
	var typ string
	var nullable bool
	var enum []any
	err := members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		kp := at(p, k)
		name := camel(k)
		var err error
		switch name {
		case "type":
			typ, err = getString(fv, kp)
			typ = strings.ToLower(typ)
			switch typ {
			case "string", "number", "integer", "boolean", "array", "object", "null":
			case "type_unspecified":
				typ = ""
			default:
				err = invalid(kp, "unknown type "+typ)
			}
		case "format", "title", "description", "pattern":
			var s string
			s, err = getString(fv, kp)
			out[name] = s
		case "nullable":
			nullable, err = getBool(fv, kp)
		case "enum":
			err = elements(fv, kp, func(i int, ev []byte) error {
				s, err := getString(ev, idx(kp, i))
				enum = append(enum, s)
				return err
			})
		case "maxItems", "minItems", "minProperties", "maxProperties", "minLength", "maxLength":
			var n int64
			n, err = schemaInt(fv, kp)
			out[name] = n
		case "minimum", "maximum":
			var raw json.RawMessage
			raw, _, err = rawNumber(fv, kp)
			out[name] = raw
		case "required", "propertyOrdering":
			var names []string
			names, err = stringOrList(fv, kp)
			if name == "required" {
				out[name] = names
			}
		case "properties":
			props := map[string]any{}
			err = members(fv, kp, func(pk string, pv []byte) error {
				s, err := schemaObject(pv, at(kp, pk), depth+1)
				props[pk] = s
				return err
			})
			out[name] = props
		case "items":
			out[name], err = schemaObject(fv, kp, depth+1)
		case "anyOf":
			var list []any
			err = elements(fv, kp, func(i int, ev []byte) error {
				s, err := schemaObject(ev, idx(kp, i), depth+1)
				list = append(list, s)
				return err
			})
			out[name] = list
		case "example":
			out["examples"] = []json.RawMessage{bytes.TrimSpace(fv)}
		case "default":
			out[name] = json.RawMessage(bytes.TrimSpace(fv))
		default:
			err = unsupported(kp, "unknown schema field")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if nullable && enum != nil {
		enum = append(enum, nil)
	}
	if enum != nil {
		out["enum"] = enum
	}
	switch {
	case typ != "" && nullable && typ != "null":
		out["type"] = []string{typ, "null"}
	case typ != "":
		out["type"] = typ
	case nullable && out["anyOf"] != nil:
		out["anyOf"] = append(out["anyOf"].([]any), map[string]any{"type": "null"})
	}
	return out, nil
}

// schemaInt reads a count, which protobuf JSON writes as a number or, for
// int64 fields, a decimal string.
func schemaInt(v []byte, p string) (int64, error) {
	if kind(v) == '"' {
		s, err := getString(v, p)
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n < 0 {
			return 0, invalid(p, "must be a count")
		}
		return n, nil
	}
	n, err := getInt(v, p)
	if err == nil && n < 0 {
		err = invalid(p, "must be a count")
	}
	return n, err
}
