package control

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

const maxLedgerPageSize = 10000

type usageService struct{ s *Server }

// scopedFilter returns the filter a caller may use: a caller with the user
// role sees only its own usage.
func scopedFilter(p principal, f *adminv1.UsageFilter) (*adminv1.UsageFilter, error) {
	if f == nil {
		f = &adminv1.UsageFilter{}
	} else {
		f = proto.Clone(f).(*adminv1.UsageFilter)
	}
	if !p.isUser() {
		return f, nil
	}
	if f.User != "" && f.User != p.user {
		return nil, permissionDenied("a user may only see its own usage")
	}
	f.User = p.user
	return f, nil
}

func (h usageService) ListRequestLogs(ctx context.Context, req *connect.Request[adminv1.ListRequestLogsRequest]) (*connect.Response[adminv1.ListRequestLogsResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	f, err := scopedFilter(p, req.Msg.GetFilter())
	if err != nil {
		return nil, err
	}
	page, want, err := pageRequest(req.Msg.GetPageSize(), req.Msg.GetPageToken(), maxListPageSize)
	if err != nil {
		return nil, err
	}
	logs, err := h.s.store.ListRequestLogs(ctx, f, page)
	if err != nil {
		return nil, err
	}
	logs, next := trimPage(logs, want, store.RequestLogCursor)
	return connect.NewResponse(&adminv1.ListRequestLogsResponse{Logs: logs, NextPageToken: next}), nil
}

func (h usageService) AggregateUsage(ctx context.Context, req *connect.Request[adminv1.AggregateUsageRequest]) (*connect.Response[adminv1.AggregateUsageResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	f, err := scopedFilter(p, req.Msg.GetFilter())
	if err != nil {
		return nil, err
	}
	aggs, err := h.s.store.AggregateUsage(ctx, f, req.Msg.GetGroupBy())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.AggregateUsageResponse{Aggregates: aggs}), nil
}

func (h usageService) ListLedgerEntries(ctx context.Context, req *connect.Request[adminv1.ListLedgerEntriesRequest]) (*connect.Response[adminv1.ListLedgerEntriesResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	f, err := scopedFilter(p, req.Msg.GetFilter())
	if err != nil {
		return nil, err
	}
	page, want, err := pageRequest(req.Msg.GetPageSize(), req.Msg.GetPageToken(), maxLedgerPageSize)
	if err != nil {
		return nil, err
	}
	entries, err := h.s.store.ListLedger(ctx, f, page)
	if err != nil {
		return nil, err
	}
	entries, next := trimPage(entries, want, store.LedgerCursor)
	return connect.NewResponse(&adminv1.ListLedgerEntriesResponse{Entries: entries, NextPageToken: next}), nil
}

type fleetService struct{ s *Server }

func (h fleetService) ListRouters(ctx context.Context, req *connect.Request[adminv1.ListRoutersRequest]) (*connect.Response[adminv1.ListRoutersResponse], error) {
	rs, err := h.s.store.ListRouters(ctx)
	if err != nil {
		return nil, err
	}
	n := int(req.Msg.GetPageSize())
	if n <= 0 {
		n = maxListPageSize
	}
	if len(rs) > n {
		rs = rs[:n]
	}
	return connect.NewResponse(&adminv1.ListRoutersResponse{Routers: rs}), nil
}
