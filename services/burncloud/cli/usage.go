package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

// filterFlags are the flags that narrow usage, logs and the ledger.
type filterFlags struct {
	user, token, model, channel string
	status                      int
	since, until                string
}

func (f *filterFlags) bind(fs *pflag.FlagSet, withToken, withStatus bool, defSince string) {
	fs.StringVar(&f.user, "user", "", "only this user")
	if withToken {
		fs.StringVar(&f.token, "token", "", "only this token (name)")
	}
	fs.StringVar(&f.model, "model", "", "only this client-facing model")
	fs.StringVar(&f.channel, "channel", "", "only this channel")
	if withStatus {
		fs.IntVar(&f.status, "status", 0, "only this HTTP status")
	}
	fs.StringVar(&f.since, "since", defSince, "start: a duration back from now (24h, 7d) or a time (2026-01-01, RFC 3339)")
	fs.StringVar(&f.until, "until", "", "end (exclusive), same forms as --since; default now")
}

// build makes the filter; now anchors relative times.
func (f *filterFlags) build(fs *pflag.FlagSet, now time.Time) (*adminv1.UsageFilter, error) {
	out := &adminv1.UsageFilter{User: f.user, Token: f.token, Model: f.model, Channel: f.channel}
	if fs.Changed("status") {
		if f.status < 100 || f.status > 599 {
			return nil, usageErrorf("--status %d is not an HTTP status", f.status)
		}
		s := int32(f.status)
		out.HttpStatus = &s
	}
	if f.since != "" {
		t, err := parseSince(f.since, now)
		if err != nil {
			return nil, usageErrorf("--since: %v", err)
		}
		out.StartTime = timestamppb.New(t)
	}
	if f.until != "" {
		t, err := parseSince(f.until, now)
		if err != nil {
			return nil, usageErrorf("--until: %v", err)
		}
		out.EndTime = timestamppb.New(t)
	}
	return out, nil
}

var dimensionNames = map[string]adminv1.UsageDimension{
	"user":    adminv1.UsageDimension_USAGE_DIMENSION_USER,
	"model":   adminv1.UsageDimension_USAGE_DIMENSION_MODEL,
	"channel": adminv1.UsageDimension_USAGE_DIMENSION_CHANNEL,
	"day":     adminv1.UsageDimension_USAGE_DIMENSION_DAY,
}

func parseDimensions(s string) ([]adminv1.UsageDimension, error) {
	var out []adminv1.UsageDimension
	seen := map[adminv1.UsageDimension]bool{}
	for _, name := range parseList(s) {
		d, ok := dimensionNames[name]
		if !ok {
			return nil, fmt.Errorf("unknown dimension %q: want user, model, channel or day", name)
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out, nil
}

func usageCommand(s *session) *cobra.Command {
	var f filterFlags
	var by string
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Show settled usage: requests, tokens, cost, upstream cost and margin",
		Example: `  burncloud usage --since 7d --by user,model
  burncloud usage --user alice --by day -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := f.build(cmd.Flags(), time.Now())
			if err != nil {
				return err
			}
			dims, err := parseDimensions(by)
			if err != nil {
				return usageErrorf("--by: %v", err)
			}
			res, err := s.client().usage.AggregateUsage(cmd.Context(), connect.NewRequest(&adminv1.AggregateUsageRequest{Filter: filter, GroupBy: dims}))
			if err != nil {
				return err
			}
			return s.emit(res.Msg, func(w io.Writer) error { return writeAggregates(w, dims, res.Msg.Aggregates) })
		},
	}
	f.bind(cmd.Flags(), true, false, "24h")
	cmd.Flags().StringVar(&by, "by", "", "group by these dimensions: user, model, channel, day (comma-separated)")
	return cmd
}

// writeAggregates prints one row per aggregate, a column per dimension
// grouped by, and a total row when there is more than one.
func writeAggregates(w io.Writer, dims []adminv1.UsageDimension, aggs []*adminv1.UsageAggregate) error {
	var header []string
	for _, d := range dims {
		header = append(header, enumName(d.String(), "USAGE_DIMENSION_"))
	}
	header = append(header, "REQUESTS", "INPUT", "CACHE READ", "CACHE WRITE", "OUTPUT", "REASONING", "COST USD", "UPSTREAM USD", "MARGIN USD")
	for i := range dims {
		header[i] = strings.ToUpper(header[i])
	}
	t := newTable(w, header...)
	total := &adminv1.UsageAggregate{Usage: &usagev1.Usage{}}
	for _, a := range aggs {
		var row []string
		for _, d := range dims {
			row = append(row, dimensionValue(a, d))
		}
		t.row(append(row, aggregateCells(a)...)...)
		addAggregate(total, a)
	}
	if len(aggs) > 1 {
		row := make([]string, len(dims))
		if len(dims) > 0 {
			row[0] = "TOTAL"
		}
		t.row(append(row, aggregateCells(total)...)...)
	}
	if len(aggs) == 0 && len(dims) == 0 {
		t.row(aggregateCells(total)...)
	}
	return t.flush()
}

func dimensionValue(a *adminv1.UsageAggregate, d adminv1.UsageDimension) string {
	switch d {
	case adminv1.UsageDimension_USAGE_DIMENSION_USER:
		return a.User
	case adminv1.UsageDimension_USAGE_DIMENSION_MODEL:
		return a.Model
	case adminv1.UsageDimension_USAGE_DIMENSION_CHANNEL:
		return a.Channel
	case adminv1.UsageDimension_USAGE_DIMENSION_DAY:
		return a.Day
	}
	return ""
}

func aggregateCells(a *adminv1.UsageAggregate) []string {
	u := a.GetUsage()
	return []string{
		fmt.Sprint(a.Requests), fmt.Sprint(u.GetInputUncached()), fmt.Sprint(u.GetInputCacheRead()),
		fmt.Sprint(u.GetInputCacheWrite()), fmt.Sprint(u.GetOutput()), fmt.Sprint(u.GetReasoning()),
		usd(a.CostNanoUsd), usd(a.UpstreamCostNanoUsd), usd(a.MarginNanoUsd),
	}
}

func addAggregate(total, a *adminv1.UsageAggregate) {
	u := a.GetUsage()
	total.Requests += a.Requests
	total.Usage.InputUncached += u.GetInputUncached()
	total.Usage.InputCacheRead += u.GetInputCacheRead()
	total.Usage.InputCacheWrite += u.GetInputCacheWrite()
	total.Usage.Output += u.GetOutput()
	total.Usage.Reasoning += u.GetReasoning()
	total.CostNanoUsd += a.CostNanoUsd
	total.UpstreamCostNanoUsd += a.UpstreamCostNanoUsd
	total.MarginNanoUsd += a.MarginNanoUsd
}

func logsCommand(s *session) *cobra.Command {
	var f filterFlags
	var limit int
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Show request logs, newest first (no prompts or completions are kept)",
		Example: `  burncloud logs --user alice --since 1h
  burncloud logs --status 429 --limit 20 -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return usageErrorf("--limit must be at least 1")
			}
			filter, err := f.build(cmd.Flags(), time.Now())
			if err != nil {
				return err
			}
			size := int32(min(limit, 1000))
			logs, err := listAll(cmd.Context(), func(ctx context.Context, token string) ([]*usagev1.UsageEvent, string, error) {
				res, err := s.client().usage.ListRequestLogs(ctx, connect.NewRequest(&adminv1.ListRequestLogsRequest{
					Filter: filter, PageSize: size, PageToken: token,
				}))
				if err != nil {
					return nil, "", err
				}
				return res.Msg.GetLogs(), res.Msg.GetNextPageToken(), nil
			}, limit)
			if err != nil {
				return err
			}
			return s.emit(&adminv1.ListRequestLogsResponse{Logs: logs}, func(w io.Writer) error { return writeLogs(w, logs) })
		},
	}
	f.bind(cmd.Flags(), true, true, "")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many logs")
	return cmd
}

func writeLogs(w io.Writer, logs []*usagev1.UsageEvent) error {
	t := newTable(w, "TIME", "ID", "USER", "TOKEN", "MODEL", "CHANNEL", "STATUS", "ERROR", "INPUT", "OUTPUT", "COST USD", "LATENCY")
	for _, e := range logs {
		u := e.GetUsage()
		input := u.GetInputUncached() + u.GetInputCacheRead() + u.GetInputCacheWrite()
		latency := ""
		if e.Latency != nil {
			latency = e.Latency.AsDuration().Round(time.Millisecond).String()
		}
		output := fmt.Sprint(u.GetOutput())
		if e.UsageEstimated {
			output += "~"
		}
		t.row(ts(e.Time), e.Id, e.User, e.Token, e.RequestedModel, e.Channel, fmt.Sprint(e.HttpStatus), e.ErrorClass,
			fmt.Sprint(input), output, usd(e.CostNanoUsd), latency)
	}
	return t.flush()
}

func routersCommand(s *session) *cobra.Command {
	return &cobra.Command{
		Use:   "routers",
		Short: "List the routers watching the control plane",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := s.client().fleet.ListRouters(cmd.Context(), connect.NewRequest(&adminv1.ListRoutersRequest{}))
			if err != nil {
				return err
			}
			return s.emit(res.Msg, func(w io.Writer) error {
				t := newTable(w, "ID", "VERSION", "REVISION", "CONNECTED", "LAST SEEN", "CONTROL REPLICA")
				for _, r := range res.Msg.Routers {
					t.row(r.Id, r.Version, fmt.Sprint(r.Revision), fmt.Sprint(r.Connected), ts(r.LastSeenTime), r.ControlReplica)
				}
				return t.flush()
			})
		},
	}
}
