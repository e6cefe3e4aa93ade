package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

// format is the -o flag.
type format string

const (
	formatTable format = "table"
	formatJSON  format = "json"
	formatYAML  format = "yaml"
)

func parseFormat(s string) (format, error) {
	switch f := format(strings.ToLower(s)); f {
	case formatTable, formatJSON, formatYAML:
		return f, nil
	}
	return "", fmt.Errorf("unknown output format %q: want table, json or yaml", s)
}

// marshalJSON writes m as protojson with the proto's camelCase names.
// Default values are written so that e.g. usedNanoUsd shows as "0"; optional
// fields that are absent (an unlimited quota) stay absent.
func marshalJSON(m proto.Message) ([]byte, error) {
	b, err := protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	// protojson varies its whitespace on purpose; re-indenting makes the
	// output stable for scripts and diffs.
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// jsonToYAML converts a JSON document to block-style YAML, keeping the key
// order. JSON is YAML, so it is parsed as such and re-encoded without the
// flow style and quotes it was read with; the encoder quotes a string again
// where it would otherwise read as another type.
func jsonToYAML(j []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(j, &n); err != nil {
		return nil, fmt.Errorf("convert to YAML: %w", err)
	}
	plain(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("convert to YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("convert to YAML: %w", err)
	}
	return buf.Bytes(), nil
}

func plain(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plain(c)
	}
}

// emit writes m in the session's format; table writes the table form.
func (s *session) emit(m proto.Message, table func(io.Writer) error) error {
	switch s.format {
	case formatJSON, formatYAML:
		b, err := marshalJSON(m)
		if err != nil {
			return err
		}
		return s.writeStructured(b)
	}
	return table(s.out)
}

// emitValue is emit for values that are not protobuf messages.
func (s *session) emitValue(v any, table func(io.Writer) error) error {
	switch s.format {
	case formatJSON, formatYAML:
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		return s.writeStructured(append(b, '\n'))
	}
	return table(s.out)
}

func (s *session) writeStructured(jsonDoc []byte) error {
	if s.format == formatYAML {
		y, err := jsonToYAML(jsonDoc)
		if err != nil {
			return err
		}
		jsonDoc = y
	}
	_, err := s.out.Write(jsonDoc)
	return err
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(headers...)
	return t
}

// row writes one line; empty cells show as "-" so columns stay readable.
func (t *table) row(cols ...string) {
	for i, c := range cols {
		if c == "" {
			c = "-"
		}
		// A tab or newline inside a cell would break the columns.
		c = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, c)
		if i > 0 {
			fmt.Fprint(t.tw, "\t")
		}
		fmt.Fprint(t.tw, c)
	}
	fmt.Fprint(t.tw, "\n")
}

func (t *table) flush() error { return t.tw.Flush() }

// Cell formatting.

func usd(nano int64) string { return pricing.FormatUSD(nano) }

// optUSD shows an optional amount, with none for absent.
func optUSD(nano *int64, none string) string {
	if nano == nil {
		return none
	}
	return pricing.FormatUSD(*nano)
}

// orEmpty reads absent limits as no limits.
func orEmpty(l *adminv1.Limits) *adminv1.Limits {
	if l == nil {
		return &adminv1.Limits{}
	}
	return l
}

func optInt(v *int64) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(*v)
}

func ts(t *timestamppb.Timestamp) string {
	if t == nil {
		return ""
	}
	return t.AsTime().UTC().Format(time.RFC3339)
}

func list(items []string) string { return strings.Join(items, ",") }

// enumName turns ROLE_OWNER into owner.
func enumName(full, prefix string) string {
	n := strings.TrimPrefix(full, prefix)
	if n == "UNSPECIFIED" {
		return ""
	}
	return strings.ToLower(n)
}
