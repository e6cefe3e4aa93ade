package postgres

import (
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

func timeOf(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

func timeOfPtr(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func timePtr(ts *timestamppb.Timestamp) *time.Time {
	if ts == nil {
		return nil
	}
	t := ts.AsTime()
	return &t
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

// orEmpty keeps nil slices out of NOT NULL array columns (pgx sends nil as NULL).
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
