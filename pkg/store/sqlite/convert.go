package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

// Limits live in three nullable columns; no field set reads back as nil.
func limitCols(l *adminv1.Limits) (rpm, tpm, maxConc *int64) {
	if l == nil {
		return nil, nil, nil
	}
	return l.Rpm, l.Tpm, l.MaxConcurrency
}

func limitsOf(rpm, tpm, maxConc *int64) *adminv1.Limits {
	if rpm == nil && tpm == nil && maxConc == nil {
		return nil
	}
	return &adminv1.Limits{Rpm: rpm, Tpm: tpm, MaxConcurrency: maxConc}
}

// Times are stored as Unix nanoseconds.

func timeOf(ns int64) *timestamppb.Timestamp { return timestamppb.New(time.Unix(0, ns)) }

func timeOfPtr(ns *int64) *timestamppb.Timestamp {
	if ns == nil {
		return nil
	}
	return timeOf(*ns)
}

func nanosPtr(ts *timestamppb.Timestamp) *int64 {
	if ts == nil {
		return nil
	}
	n := ts.AsTime().UnixNano()
	return &n
}

func durationNanos(d *durationpb.Duration) *int64 {
	if d == nil {
		return nil
	}
	n := d.AsDuration().Nanoseconds()
	return &n
}

func durationOf(ns *int64) *durationpb.Duration {
	if ns == nil {
		return nil
	}
	return durationpb.New(time.Duration(*ns))
}

// jsonText marshals lists and maps into their TEXT columns; nil becomes an
// empty list or map, as the Postgres columns' NOT NULL defaults do.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func stringsText(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s) // a []string always marshals
	return string(b)
}

func mapText(m map[string]string) string {
	if m == nil {
		m = map[string]string{}
	}
	b, _ := json.Marshal(m) // a map[string]string always marshals
	return string(b)
}

// jsonCol scans a JSON TEXT column into dst.
type jsonCol struct{ dst any }

func (c jsonCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		return nil
	default:
		return fmt.Errorf("sqlite: JSON column holds %T", src)
	}
	return json.Unmarshal(b, c.dst)
}

var _ sql.Scanner = jsonCol{}
