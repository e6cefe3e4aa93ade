package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"connectrpc.com/connect"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/services/control/declarative"
)

type configService struct{ s *Server }

// errDryRun rolls back a dry run's transaction; Apply wrote nothing, but a
// rollback makes sure of it.
var errDryRun = errors.New("dry run")

func (h configService) Apply(ctx context.Context, req *connect.Request[adminv1.ApplyRequest]) (*connect.Response[adminv1.ApplyResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	f, err := declarative.Parse([]byte(req.Msg.GetDocument()))
	if err != nil {
		return nil, fileError(err)
	}
	opts := declarative.Options{Prune: req.Msg.GetPrune(), DryRun: req.Msg.GetDryRun()}
	if p.user != AdminKeyUser {
		opts.KeepUsers = []string{p.user} // a prune never deletes the caller
	}
	res, err := h.s.apply(ctx, f, opts, p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.ApplyResponse{
		Changes: res.Changes, GeneratedSecrets: res.Secrets, DryRun: opts.DryRun,
	}), nil
}

// apply runs declarative.Apply in one transaction and, for a caller who is
// not an owner, refuses (and so rolls back) any change touching an owner.
func (s *Server) apply(ctx context.Context, f *declarative.File, opts declarative.Options, p principal) (declarative.Result, error) {
	var res declarative.Result
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var owners map[string]bool
		if !p.isOwner() {
			var err error
			if owners, err = ownerNames(ctx, tx, f); err != nil {
				return err
			}
		}
		var err error
		res, err = declarative.Apply(ctx, tx, f, opts, s.sealer)
		if err != nil {
			return applyError(err)
		}
		if !p.isOwner() {
			for _, c := range res.Changes {
				user, _, _ := strings.Cut(c.GetName(), "/")
				if (c.GetKind() == declarative.KindUser || c.GetKind() == declarative.KindToken) && owners[user] {
					return permissionDenied("%s %q: only an owner may create, change or delete owners and their tokens", c.GetKind(), c.GetName())
				}
			}
		}
		if opts.DryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return declarative.Result{}, err
	}
	return res, nil
}

// ownerNames is every user who is an owner now or would be after f.
func ownerNames(ctx context.Context, tx store.Tx, f *declarative.File) (map[string]bool, error) {
	owners := map[string]bool{}
	for _, u := range f.Users {
		if u.User.GetRole() == adminv1.Role_ROLE_OWNER {
			owners[u.User.GetName()] = true
		}
	}
	page := store.Page{Size: maxListPageSize}
	for {
		users, err := tx.ListUsers(ctx, page)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.GetRole() == adminv1.Role_ROLE_OWNER {
				owners[u.GetName()] = true
			}
		}
		if len(users) < page.Size {
			return owners, nil
		}
		page.After = users[len(users)-1].GetName()
	}
}

// fileError reports every problem of a file as InvalidArgument, with a
// BadRequest detail listing them for programs.
func fileError(err error) error {
	var ve *declarative.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	ce := connect.NewError(connect.CodeInvalidArgument, ve)
	br := &errdetails.BadRequest{}
	for _, p := range ve.Problems {
		field := p.Path
		if p.Field != "" {
			field = strings.TrimPrefix(field+"."+p.Field, ".")
		}
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: field, Description: p.Message})
	}
	if d, derr := connect.NewErrorDetail(br); derr == nil {
		ce.AddDetail(d)
	}
	return ce
}

// applyError names the entry Apply failed on. Its messages come from the
// declarative package and the store's sentinels: names, never internals.
func applyError(err error) error {
	var code connect.Code
	switch {
	case errors.As(err, new(*declarative.ValidationError)):
		return fileError(err)
	case errors.Is(err, declarative.ErrKeyInUse):
		code = connect.CodeInvalidArgument
	case errors.Is(err, store.ErrNotFound):
		code = connect.CodeNotFound
	case errors.Is(err, store.ErrAlreadyExists):
		code = connect.CodeAlreadyExists
	case errors.Is(err, store.ErrInUse):
		code = connect.CodeFailedPrecondition
	default:
		return err // Internal at the boundary
	}
	return connect.NewError(code, fmt.Errorf("apply: %s", err.Error()))
}

func (h configService) Export(ctx context.Context, _ *connect.Request[adminv1.ExportRequest]) (*connect.Response[adminv1.ExportResponse], error) {
	var doc []byte
	err := h.s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		doc, err = declarative.Export(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.ExportResponse{Document: string(doc)}), nil
}

// ApplyFile applies a declarative file from disk as the owner, expanding
// ${VAR} with Config.Env: the bootstrap file. Secrets generated for tokens
// without a key are not logged (keys never go to logs); such tokens need a
// `key` in the file to be usable.
func (s *Server) ApplyFile(ctx context.Context, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("bootstrap file: %w", err)
	}
	doc, err := declarative.Expand(raw, s.cfg.Env)
	if err != nil {
		return fmt.Errorf("bootstrap file %s: %w", path, err)
	}
	f, err := declarative.Parse(doc)
	if err != nil {
		return fmt.Errorf("bootstrap file %s: %w", path, err)
	}
	res, err := s.apply(ctx, f, declarative.Options{}, principal{user: AdminKeyUser, role: adminv1.Role_ROLE_OWNER})
	if err != nil {
		return fmt.Errorf("bootstrap file %s: %w", path, err)
	}
	for _, sec := range res.Secrets {
		s.log.Warn("bootstrap generated a token secret that is not shown; give the token a key in the file or create it with the CLI",
			zap.String("user", sec.GetUser()), zap.String("token", sec.GetToken()))
	}
	s.log.Info("applied bootstrap file", zap.String("file", path), zap.Int("changes", len(res.Changes)))
	return nil
}

// SeedCatalogue creates the models of the default price catalogue when the
// store holds no model at all (a first start). Later starts leave models
// alone, so what an operator deleted or repriced stays that way.
func (s *Server) SeedCatalogue(ctx context.Context) error {
	f, err := declarative.Parse(declarative.Catalogue())
	if err != nil {
		return fmt.Errorf("price catalogue: %w", err)
	}
	var created int
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		have, err := tx.ListModels(ctx, store.Page{Size: 1})
		if err != nil || len(have) > 0 {
			return err
		}
		res, err := declarative.Apply(ctx, tx, f, declarative.Options{CreateOnly: true}, s.sealer)
		created = len(res.Changes)
		return err
	})
	if err != nil {
		return fmt.Errorf("price catalogue: %w", err)
	}
	if created > 0 {
		s.log.Info("seeded the default price catalogue", zap.Int("models", created))
	}
	return nil
}
