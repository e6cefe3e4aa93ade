package declarative

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxAliases bounds alias expansion so that a small document cannot expand
// into a huge one.
const maxAliases = 10_000

// decodeSpec reads doc strictly into a fileSpec: every unknown field, field
// given twice and value of the wrong type becomes a Problem naming its entry.
// yaml.v3's own KnownFields mode stops at the first error and names only a
// line, hence this walk over the node tree.
func decodeSpec(doc []byte, ps *problems) fileSpec {
	var spec fileSpec
	dec := yaml.NewDecoder(strings.NewReader(string(doc)))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			ps.add("", "", "the document is empty")
		} else {
			ps.add("", "", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return spec
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		ps.addLine("", "", extra.Line, "more than one YAML document")
	}
	body := &root
	if body.Kind == yaml.DocumentNode && len(body.Content) == 1 {
		body = body.Content[0]
	}
	d := &decoder{ps: ps, fields: map[reflect.Type]map[string][]int{}}
	d.structure(body, reflect.ValueOf(&spec).Elem(), "", "")
	return spec
}

type decoder struct {
	ps      *problems
	aliases int
	fields  map[reflect.Type]map[string][]int
}

func (d *decoder) fieldsOf(t reflect.Type) map[string][]int {
	f, ok := d.fields[t]
	if !ok {
		f = fieldIndex(t)
		d.fields[t] = f
	}
	return f
}

// resolve follows aliases, within the budget; nil means stop.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		d.aliases++
		if d.aliases == maxAliases+1 {
			d.ps.addLine("", "", n.Line, "more than %d alias expansions", maxAliases)
		}
		if d.aliases > maxAliases {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// pair is one key and value of a mapping.
type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's entries, with "<<" merge keys expanded after the
// explicit keys (which win over merged ones).
func (d *decoder) pairs(n *yaml.Node) []pair {
	var explicit, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, d.mergeSources(v)...)
			continue
		}
		explicit = append(explicit, pair{k, v})
	}
	if len(merged) == 0 {
		return explicit
	}
	have := map[string]bool{}
	for _, p := range explicit {
		have[p.key.Value] = true
	}
	for _, p := range merged {
		if !have[p.key.Value] {
			have[p.key.Value] = true
			explicit = append(explicit, p)
		}
	}
	return explicit
}

func (d *decoder) mergeSources(v *yaml.Node) []pair {
	v = d.resolve(v)
	switch {
	case v == nil:
		return nil
	case v.Kind == yaml.MappingNode:
		return d.pairs(v)
	case v.Kind == yaml.SequenceNode:
		var out []pair
		for _, item := range v.Content {
			if item = d.resolve(item); item != nil && item.Kind == yaml.MappingNode {
				out = append(out, d.pairs(item)...)
			}
		}
		return out
	}
	return nil
}

// structure decodes mapping n into struct v. entry names the enclosing entry;
// prefix is prepended to field names ("timeouts.", "tiers[0].").
func (d *decoder) structure(n *yaml.Node, v reflect.Value, entry, prefix string) {
	if n = d.resolve(n); n == nil || isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.ps.addLine(entry, strings.TrimSuffix(prefix, "."), n.Line, "want a mapping, got %s", describe(n))
		return
	}
	fields := d.fieldsOf(v.Type())
	seen := map[string]int{}
	for _, p := range d.pairs(n) {
		k := d.resolve(p.key)
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.ps.addLine(entry, strings.TrimSuffix(prefix, "."), k.Line, "want field names, got %s as a key", describe(k))
			continue
		}
		field := prefix + k.Value
		if first, dup := seen[k.Value]; dup {
			d.ps.addLine(entry, field, k.Line, "given twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		d.ps.at(entry, field, k.Line)
		idx, ok := fields[k.Value]
		if !ok {
			d.ps.addLine(entry, field, k.Line, "unknown field")
			continue
		}
		d.value(p.value, v.FieldByIndex(idx), entry, field)
	}
}

func (d *decoder) value(n *yaml.Node, v reflect.Value, entry, field string) {
	if n = d.resolve(n); n == nil || isNull(n) {
		return
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Struct:
		d.structure(n, v, entry, field+".")
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		v.Set(reflect.New(t.Elem()))
		d.structure(n, v.Elem(), entry, field+".")
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		d.entries(n, v, entry, field)
	case t.Kind() == reflect.Map:
		d.stringMap(n, v, entry, field)
	default:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			got := describe(n)
			if secretField(field) && n.Kind == yaml.ScalarNode {
				got = "a string" // never echo a secret
			}
			d.ps.addLine(entry, field, n.Line, "want %s, got %s", want(t), got)
		}
	}
}

// entries decodes a list of structs. Structs with a name are entries of their
// own and are named by it in problems; others are fields of the entry.
func (d *decoder) entries(n *yaml.Node, v reflect.Value, entry, field string) {
	if n.Kind != yaml.SequenceNode {
		d.ps.addLine(entry, field, n.Line, "want a list, got %s", describe(n))
		return
	}
	_, named := d.fieldsOf(v.Type().Elem())["name"]
	v.Set(reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content)))
	for i, item := range n.Content {
		item = d.resolve(item)
		if item == nil {
			continue
		}
		if !named {
			d.structure(item, v.Index(i), entry, fmt.Sprintf("%s[%d].", field, i))
			continue
		}
		sub := entryPath(entry, field, i, d.nameOf(item))
		d.ps.at(sub, "", item.Line)
		d.structure(item, v.Index(i), sub, "")
	}
}

// nameOf peeks at an entry's name so that problems in earlier fields can
// already be reported under it.
func (d *decoder) nameOf(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" && n.Content[i+1].Kind == yaml.ScalarNode && !isNull(n.Content[i+1]) {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func (d *decoder) stringMap(n *yaml.Node, v reflect.Value, entry, field string) {
	if n.Kind != yaml.MappingNode {
		d.ps.addLine(entry, field, n.Line, "want a mapping, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	seen := map[string]bool{}
	for _, p := range d.pairs(n) {
		k, val := d.resolve(p.key), d.resolve(p.value)
		if k == nil || val == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode || isNull(val) {
			d.ps.addLine(entry, field, k.Line, "want name: name pairs, got %s: %s", describe(k), describe(val))
			continue
		}
		if seen[k.Value] {
			d.ps.addLine(entry, field, k.Line, "%q given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		m.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(val.Value))
	}
	v.Set(m)
}

// fieldIndex maps the yaml names of a struct's fields, inline ones included,
// to their index paths.
func fieldIndex(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if strings.Contains(opts, "inline") {
			for k, idx := range fieldIndex(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name != "" && name != "-" {
			out[name] = []int{i}
		}
	}
	return out
}

func entryPath(parent, list string, i int, name string) string {
	p := list + "[" + strconv.Itoa(i) + "]"
	if parent != "" {
		p = parent + "." + p
	}
	if name != "" {
		p += " " + strconv.Quote(name)
	}
	return p
}

// secretField tells whether field holds a secret, whose value problems must
// not repeat.
func secretField(field string) bool {
	return field == "key" || field == "keys" || strings.HasPrefix(field, "keys[")
}

func want(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int64, reflect.Int32, reflect.Int:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of strings"
	}
	return "a string"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if len(n.Value) > 40 {
			return strconv.Quote(n.Value[:40] + "…")
		}
		return strconv.Quote(n.Value)
	}
	return "an unexpected node"
}
