package control

import (
	"context"
	"slices"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

type channelService struct{ s *Server }

// apiChannel is what callers see: the channel with masked keys only.
func apiChannel(c store.Channel) *adminv1.Channel {
	out := proto.Clone(c.Channel).(*adminv1.Channel)
	out.Keys = nil
	out.KeyInfo = make([]*adminv1.ChannelKey, len(c.Keys))
	for i, k := range c.Keys {
		out.KeyInfo[i] = &adminv1.ChannelKey{Id: k.ID, Masked: k.Masked}
	}
	return out
}

// storedChannel strips what the store must not hold in the channel message.
func storedChannel(c *adminv1.Channel) *adminv1.Channel {
	c.Keys, c.KeyInfo, c.CreateTime, c.UpdateTime = nil, nil, nil, nil
	if c.Status == adminv1.Status_STATUS_UNSPECIFIED {
		c.Status = adminv1.Status_STATUS_ACTIVE
	}
	return c
}

func (h channelService) CreateChannel(ctx context.Context, req *connect.Request[adminv1.CreateChannelRequest]) (*connect.Response[adminv1.CreateChannelResponse], error) {
	in := req.Msg.GetChannel()
	keys, err := sealKeys(h.s.sealer, in.GetName(), in.GetKeys(), nil)
	if err != nil {
		return nil, err
	}
	c := storedChannel(proto.Clone(in).(*adminv1.Channel))
	created, err := h.s.store.CreateChannel(ctx, store.Channel{Channel: c, Keys: keys})
	if err != nil {
		return nil, about("channel", in.GetName(), err)
	}
	return connect.NewResponse(&adminv1.CreateChannelResponse{Channel: apiChannel(created)}), nil
}

func (h channelService) GetChannel(ctx context.Context, req *connect.Request[adminv1.GetChannelRequest]) (*connect.Response[adminv1.GetChannelResponse], error) {
	c, err := h.s.store.GetChannel(ctx, req.Msg.GetName())
	if err != nil {
		return nil, about("channel", req.Msg.GetName(), err)
	}
	return connect.NewResponse(&adminv1.GetChannelResponse{Channel: apiChannel(c)}), nil
}

func (h channelService) ListChannels(ctx context.Context, req *connect.Request[adminv1.ListChannelsRequest]) (*connect.Response[adminv1.ListChannelsResponse], error) {
	page, want, err := pageRequest(req.Msg.GetPageSize(), req.Msg.GetPageToken(), maxListPageSize)
	if err != nil {
		return nil, err
	}
	chs, err := h.s.store.ListChannels(ctx, page)
	if err != nil {
		return nil, err
	}
	chs, next := trimPage(chs, want, func(c store.Channel) string { return c.Channel.GetName() })
	out := make([]*adminv1.Channel, len(chs))
	for i, c := range chs {
		out[i] = apiChannel(c)
	}
	return connect.NewResponse(&adminv1.ListChannelsResponse{Channels: out, NextPageToken: next}), nil
}

// UpdateChannel applies the mask to every field but the keys. Keys are input
// only, so they change only when the mask names "keys" (an empty list then
// removes them all) or, with an empty mask, when the request carries some.
func (h channelService) UpdateChannel(ctx context.Context, req *connect.Request[adminv1.UpdateChannelRequest]) (*connect.Response[adminv1.UpdateChannelResponse], error) {
	in := req.Msg.GetChannel()
	name := in.GetName()
	paths := req.Msg.GetUpdateMask().GetPaths()
	replaceKeys := slices.Contains(paths, "keys") || (len(paths) == 0 && len(in.GetKeys()) > 0)
	paths = slices.DeleteFunc(slices.Clone(paths), func(p string) bool { return p == "keys" })
	if len(req.Msg.GetUpdateMask().GetPaths()) > 0 && len(paths) == 0 {
		paths = []string{"name"} // only keys named: change no other field
	}
	var updated store.Channel
	err := h.s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetChannel(ctx, name)
		if err != nil {
			return about("channel", name, err)
		}
		next := proto.Clone(cur.Channel).(*adminv1.Channel)
		if err := channelMask.apply(next, in, paths); err != nil {
			return err
		}
		if err := h.s.validate.validate(next); err != nil {
			return err
		}
		keys := cur.Keys
		if replaceKeys {
			if keys, err = sealKeys(h.s.sealer, name, in.GetKeys(), cur.Keys); err != nil {
				return err
			}
		}
		updated, err = tx.UpdateChannel(ctx, store.Channel{Channel: storedChannel(next), Keys: keys})
		return about("channel", name, err)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.UpdateChannelResponse{Channel: apiChannel(updated)}), nil
}

func (h channelService) DeleteChannel(ctx context.Context, req *connect.Request[adminv1.DeleteChannelRequest]) (*connect.Response[adminv1.DeleteChannelResponse], error) {
	if err := h.s.store.DeleteChannel(ctx, req.Msg.GetName()); err != nil {
		return nil, about("channel", req.Msg.GetName(), err)
	}
	return connect.NewResponse(&adminv1.DeleteChannelResponse{}), nil
}
