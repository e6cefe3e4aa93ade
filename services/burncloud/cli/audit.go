package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/burncloud/burncloud/pkg/events"
	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

// UndecodableEvent: a message of the usage stream is not a UsageEvent.
const UndecodableEvent DifferenceKind = "undecodable-event"

// DefaultNATSURL is where audit reads the usage stream when not told.
const DefaultNATSURL = "nats://127.0.0.1:4222"

// readTimeout bounds the wait for the next message of a stream that has it.
const readTimeout = 30 * time.Second

func auditCommand(s *session) *cobra.Command {
	var natsURL, stream, since, until string
	var lag time.Duration
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Reconcile the usage stream, the ledger and the balances",
		Long: `audit checks that billing settled every usage event exactly once:

  - every event in the usage stream within the window has exactly one ledger
    entry, with the same cost, upstream cost, user and token;
  - every ledger entry in the window has its event in the stream;
  - every user's and token's used_nano_usd equals the sum of all its ledger
    entries (the whole ledger, not only the window).

It prints every difference and a summary, and exits 1 when there is any. The
window ends --settle-lag before now so that events billing has not settled
yet are not reported; the stream keeps events for a limited time (7 days by
default), so --since must stay within it.`,
		Example: `  burncloud audit --since 24h
  BURNCLOUD_NATS_URL=nats://nats:4222 burncloud audit --since 6d -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if natsURL == "" {
				natsURL = DefaultNATSURL
				if v, ok := s.env(EnvNATSURL); ok && v != "" {
					natsURL = v
				}
			}
			now := time.Now()
			start, err := parseSince(since, now)
			if err != nil {
				return usageErrorf("--since: %v", err)
			}
			end := now.Add(-lag)
			if until != "" {
				if end, err = parseSince(until, now); err != nil {
					return usageErrorf("--until: %v", err)
				}
			}
			if !start.Before(end) {
				return usageErrorf("the window is empty: --since %s is not before its end %s", start.Format(time.RFC3339), end.Format(time.RFC3339))
			}
			return s.audit(cmd.Context(), natsURL, stream, Window{Start: start, End: end})
		},
	}
	cmd.Flags().StringVar(&natsURL, "nats-url", "", "NATS server holding the usage stream (env "+EnvNATSURL+", default "+DefaultNATSURL+")")
	cmd.Flags().StringVar(&stream, "stream", events.StreamUsage, "name of the usage stream")
	cmd.Flags().StringVar(&since, "since", "24h", "start of the window: a duration back from now or a time")
	cmd.Flags().StringVar(&until, "until", "", "end of the window (exclusive); default now minus --settle-lag")
	cmd.Flags().DurationVar(&lag, "settle-lag", time.Minute, "leave out events this recent: billing may not have settled them yet")
	return cmd
}

func (s *session) audit(ctx context.Context, natsURL, stream string, w Window) error {
	nc, err := nats.Connect(natsURL, nats.Name("burncloud audit"), nats.Timeout(10*time.Second))
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	read, err := readUsageEvents(ctx, js, stream, w.Start)
	if err != nil {
		return err
	}
	if !read.trimmedTo.IsZero() && read.trimmedTo.After(w.Start) {
		fmt.Fprintf(s.errOut, "audit: the stream no longer holds events before %s; the window starts there\n", read.trimmedTo.UTC().Format(time.RFC3339))
		w.Start = read.trimmedTo
	}
	ledger, bal, err := s.ledgerAndBalances(ctx)
	if err != nil {
		return err
	}
	report := Reconcile(w, read.events, ledger, bal)
	report.Differences = append(read.undecodable, report.Differences...)

	if err := s.emitValue(report, func(out io.Writer) error { return writeAuditReport(out, report) }); err != nil {
		return err
	}
	if n := len(report.Differences); n > 0 {
		return &exitError{code: ExitError, msg: fmt.Sprintf("audit found %d difference(s)", n)}
	}
	return nil
}

func writeAuditReport(w io.Writer, r AuditReport) error {
	for _, d := range r.Differences {
		fmt.Fprintln(w, d.String())
	}
	result := "OK"
	if n := len(r.Differences); n > 0 {
		result = fmt.Sprintf("%d difference(s)", n)
	}
	_, err := fmt.Fprintf(w, "audit %s .. %s: %d events, %d ledger entries in the window, %d in all, %d users, %d tokens: %s\n",
		r.Window.Start.UTC().Format(time.RFC3339), r.Window.End.UTC().Format(time.RFC3339),
		r.Events, r.WindowEntries, r.LedgerEntries, r.Users, r.Tokens, result)
	return err
}

// streamRead is what readUsageEvents found.
type streamRead struct {
	events      []*usagev1.UsageEvent
	undecodable []Difference
	// trimmedTo is the time of the stream's oldest message when older ones
	// were removed (by age or size); zero when the stream holds every
	// message it ever had.
	trimmedTo time.Time
}

// readUsageEvents reads every message of stream stored at or after start, up
// to the last one stored when it begins, with an ephemeral ordered consumer.
func readUsageEvents(ctx context.Context, js jetstream.JetStream, stream string, start time.Time) (streamRead, error) {
	var out streamRead
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return out, fmt.Errorf("usage stream %s: %w", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return out, fmt.Errorf("usage stream %s: %w", stream, err)
	}
	state := info.State
	if state.FirstSeq > 1 {
		out.trimmedTo = state.FirstTime
	}
	if state.Msgs == 0 {
		return out, nil
	}
	if state.LastTime.Before(start) {
		return out, nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime:  &start,
	})
	if err != nil {
		return out, fmt.Errorf("usage stream %s: %w", stream, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return out, fmt.Errorf("usage stream %s: %w", stream, err)
	}
	defer it.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		msg, err := it.Next(jetstream.NextMaxWait(readTimeout))
		if err != nil {
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
				return out, fmt.Errorf("usage stream %s: no message for %s while reading up to sequence %d", stream, readTimeout, state.LastSeq)
			}
			return out, fmt.Errorf("usage stream %s: %w", stream, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return out, fmt.Errorf("usage stream %s: %w", stream, err)
		}
		ev := &usagev1.UsageEvent{}
		if err := proto.Unmarshal(msg.Data(), ev); err != nil {
			out.undecodable = append(out.undecodable, Difference{Kind: UndecodableEvent,
				Detail: fmt.Sprintf("stream sequence %d: %v", meta.Sequence.Stream, err)})
		} else {
			out.events = append(out.events, ev)
		}
		if meta.Sequence.Stream >= state.LastSeq || meta.NumPending == 0 {
			return out, nil
		}
	}
}

// ledgerAndBalances reads the whole ledger between two reads of the
// balances, and again while billing settles in between, so that the sums
// and the balances describe the same moment.
func (s *session) ledgerAndBalances(ctx context.Context) ([]*adminv1.LedgerEntry, Balances, error) {
	const attempts = 3
	before, err := s.balances(ctx)
	if err != nil {
		return nil, Balances{}, err
	}
	for i := 1; ; i++ {
		ledger, err := listAll(ctx, func(ctx context.Context, token string) ([]*adminv1.LedgerEntry, string, error) {
			res, err := s.client().usage.ListLedgerEntries(ctx, connect.NewRequest(&adminv1.ListLedgerEntriesRequest{PageSize: 10000, PageToken: token}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetEntries(), res.Msg.GetNextPageToken(), nil
		}, 0)
		if err != nil {
			return nil, Balances{}, err
		}
		after, err := s.balances(ctx)
		if err != nil {
			return nil, Balances{}, err
		}
		if sameBalances(before, after) {
			return ledger, after, nil
		}
		if i == attempts {
			fmt.Fprintln(s.errOut, "audit: balances kept changing while the ledger was read; balance differences may be billing at work")
			return ledger, after, nil
		}
		before = after
	}
}

func (s *session) balances(ctx context.Context) (Balances, error) {
	b := Balances{Users: map[string]int64{}, Tokens: map[TokenRef]int64{}}
	users, err := listAll(ctx, func(ctx context.Context, token string) ([]*adminv1.User, string, error) {
		res, err := s.client().users.ListUsers(ctx, connect.NewRequest(&adminv1.ListUsersRequest{PageSize: 1000, PageToken: token}))
		if err != nil {
			return nil, "", err
		}
		return res.Msg.GetUsers(), res.Msg.GetNextPageToken(), nil
	}, 0)
	if err != nil {
		return Balances{}, err
	}
	for _, u := range users {
		b.Users[u.Name] = u.UsedNanoUsd
	}
	tokens, err := listAll(ctx, func(ctx context.Context, token string) ([]*adminv1.Token, string, error) {
		res, err := s.client().tokens.ListTokens(ctx, connect.NewRequest(&adminv1.ListTokensRequest{PageSize: 1000, PageToken: token}))
		if err != nil {
			return nil, "", err
		}
		return res.Msg.GetTokens(), res.Msg.GetNextPageToken(), nil
	}, 0)
	if err != nil {
		return Balances{}, err
	}
	for _, t := range tokens {
		b.Tokens[TokenRef{t.User, t.Name}] = t.UsedNanoUsd
	}
	return b, nil
}

func sameBalances(a, b Balances) bool {
	return maps.Equal(a.Users, b.Users) && maps.Equal(a.Tokens, b.Tokens)
}
