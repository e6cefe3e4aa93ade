package control

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/pkg/store"
)

type tokenService struct{ s *Server }

func tokenName(user, name string) string { return user + "/" + name }

// checkTokenOwner applies the per-resource rules of a write to a token of
// user: a user only its own, an admin not an owner's (an owner's token is
// the owner's power).
func checkTokenOwner(ctx context.Context, tx store.Tx, p principal, user string) error {
	if err := guardSelf(p, user); err != nil {
		return err
	}
	if p.isOwner() || p.isUser() {
		return nil
	}
	u, err := tx.GetUser(ctx, user)
	if err != nil {
		return about("user", user, err)
	}
	return guardOwners(p, u.Role)
}

func (h tokenService) CreateToken(ctx context.Context, req *connect.Request[adminv1.CreateTokenRequest]) (*connect.Response[adminv1.CreateTokenResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	t := proto.Clone(req.Msg.GetToken()).(*adminv1.Token)
	t.UsedNanoUsd, t.CreateTime, t.UpdateTime = 0, nil, nil
	if t.Status == adminv1.Status_STATUS_UNSPECIFIED {
		t.Status = adminv1.Status_STATUS_ACTIVE
	}
	var secret secrets.Token
	if req.Msg.GetSecret() != "" {
		secret = secrets.Describe(req.Msg.GetSecret())
	} else if secret, err = secrets.NewToken(); err != nil {
		return nil, fmt.Errorf("create token: %w", err)
	}
	t.Prefix, t.Last4 = secret.Prefix, secret.Last4
	digest := h.s.keys.TokenDigest(secret.Secret)

	var created store.Token
	err = h.s.store.InTx(ctx, func(tx store.Tx) error {
		if err := checkTokenOwner(ctx, tx, p, t.GetUser()); err != nil {
			return err
		}
		created, err = tx.CreateToken(ctx, store.Token{Token: t, Digest: digest[:]})
		return about("token", tokenName(t.GetUser(), t.GetName()), err)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.CreateTokenResponse{Token: created.Token, Secret: secret.Secret}), nil
}

func (h tokenService) GetToken(ctx context.Context, req *connect.Request[adminv1.GetTokenRequest]) (*connect.Response[adminv1.GetTokenResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	user, name := req.Msg.GetUser(), req.Msg.GetName()
	if err := guardSelf(p, user); err != nil {
		return nil, err
	}
	t, err := h.s.store.GetToken(ctx, user, name)
	if err != nil {
		return nil, about("token", tokenName(user, name), err)
	}
	return connect.NewResponse(&adminv1.GetTokenResponse{Token: t.Token}), nil
}

func (h tokenService) ListTokens(ctx context.Context, req *connect.Request[adminv1.ListTokensRequest]) (*connect.Response[adminv1.ListTokensResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	user := req.Msg.GetUser()
	if p.isUser() {
		if err := guardSelf(p, user); user != "" && err != nil {
			return nil, err
		}
		user = p.user
	}
	page, want, err := pageRequest(req.Msg.GetPageSize(), req.Msg.GetPageToken(), maxListPageSize)
	if err != nil {
		return nil, err
	}
	toks, err := h.s.store.ListTokens(ctx, user, page)
	if err != nil {
		return nil, err
	}
	toks, next := trimPage(toks, want, func(t store.Token) string {
		return store.TokenCursor(t.Token.GetUser(), t.Token.GetName())
	})
	out := make([]*adminv1.Token, len(toks))
	for i, t := range toks {
		out[i] = t.Token
	}
	return connect.NewResponse(&adminv1.ListTokensResponse{Tokens: out, NextPageToken: next}), nil
}

func (h tokenService) UpdateToken(ctx context.Context, req *connect.Request[adminv1.UpdateTokenRequest]) (*connect.Response[adminv1.UpdateTokenResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetToken()
	user, name := in.GetUser(), in.GetName()
	var updated store.Token
	err = h.s.store.InTx(ctx, func(tx store.Tx) error {
		if err := checkTokenOwner(ctx, tx, p, user); err != nil {
			return err
		}
		cur, err := tx.GetToken(ctx, user, name)
		if err != nil {
			return about("token", tokenName(user, name), err)
		}
		next := proto.Clone(cur.Token).(*adminv1.Token)
		if err := tokenMask.apply(next, in, req.Msg.GetUpdateMask().GetPaths()); err != nil {
			return err
		}
		if next.Status == adminv1.Status_STATUS_UNSPECIFIED {
			next.Status = adminv1.Status_STATUS_ACTIVE
		}
		if err := h.s.validate.validate(next); err != nil {
			return err
		}
		updated, err = tx.UpdateToken(ctx, store.Token{ID: cur.ID, Token: next}) // no digest: the secret stays
		return about("token", tokenName(user, name), err)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.UpdateTokenResponse{Token: updated.Token}), nil
}

func (h tokenService) DeleteToken(ctx context.Context, req *connect.Request[adminv1.DeleteTokenRequest]) (*connect.Response[adminv1.DeleteTokenResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	user, name := req.Msg.GetUser(), req.Msg.GetName()
	err = h.s.store.InTx(ctx, func(tx store.Tx) error {
		if err := checkTokenOwner(ctx, tx, p, user); err != nil {
			return err
		}
		return about("token", tokenName(user, name), tx.DeleteToken(ctx, user, name))
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.DeleteTokenResponse{}), nil
}
