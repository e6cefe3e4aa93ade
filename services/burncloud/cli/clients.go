package cli

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"

	"github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1/adminv1connect"
)

// clients are the admin API's services at one endpoint.
type clients struct {
	users    adminv1connect.UserServiceClient
	tokens   adminv1connect.TokenServiceClient
	channels adminv1connect.ChannelServiceClient
	models   adminv1connect.ModelServiceClient
	groups   adminv1connect.GroupServiceClient
	usage    adminv1connect.UsageServiceClient
	config   adminv1connect.ConfigServiceClient
	fleet    adminv1connect.FleetServiceClient
}

func newClients(hc connect.HTTPClient, ep Endpoint) *clients {
	opts := []connect.ClientOption{connect.WithInterceptors(bearer(ep.AdminKey))}
	return &clients{
		users:    adminv1connect.NewUserServiceClient(hc, ep.URL, opts...),
		tokens:   adminv1connect.NewTokenServiceClient(hc, ep.URL, opts...),
		channels: adminv1connect.NewChannelServiceClient(hc, ep.URL, opts...),
		models:   adminv1connect.NewModelServiceClient(hc, ep.URL, opts...),
		groups:   adminv1connect.NewGroupServiceClient(hc, ep.URL, opts...),
		usage:    adminv1connect.NewUsageServiceClient(hc, ep.URL, opts...),
		config:   adminv1connect.NewConfigServiceClient(hc, ep.URL, opts...),
		fleet:    adminv1connect.NewFleetServiceClient(hc, ep.URL, opts...),
	}
}

// bearer sends key as the Authorization of every call; no key, no header.
func bearer(key string) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if key != "" && req.Spec().IsClient {
				req.Header().Set("Authorization", "Bearer "+key)
			}
			return next(ctx, req)
		}
	}
}

// errPaging: the server answered with a page token it had already given.
var errPaging = errors.New("listing does not end: the server repeated a page token")

// page fetches one page after pageToken and returns its items and the next
// token ("" at the end).
type page[T any] func(ctx context.Context, pageToken string) ([]T, string, error)

// listAll follows page tokens to the end, or until limit items when limit > 0.
func listAll[T any](ctx context.Context, fetch page[T], limit int) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	token := ""
	for {
		items, next, err := fetch(ctx, token)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if limit > 0 && len(all) >= limit {
			return all[:limit], nil
		}
		if next == "" {
			return all, nil
		}
		if seen[next] {
			return nil, fmt.Errorf("%w (%q)", errPaging, next)
		}
		seen[next] = true
		token = next
	}
}
