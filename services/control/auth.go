package control

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/pkg/store"
)

// AdminKeyUser is the user name GetCurrentUser reports for BURNCLOUD_ADMIN_KEY.
// It cannot be a real user's name: names start with a letter or digit.
const AdminKeyUser = "@admin-key"

// principal is the authenticated caller of the admin API.
type principal struct {
	user string
	role adminv1.Role
}

func (p principal) isOwner() bool { return p.role == adminv1.Role_ROLE_OWNER }

// isUser: the caller sees only its own tokens and usage.
func (p principal) isUser() bool { return p.role == adminv1.Role_ROLE_USER }

type principalKey struct{}

func withPrincipal(ctx context.Context, p principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the caller. Handlers run only behind the auth
// interceptor, so a missing principal is a wiring mistake and denies.
func principalFrom(ctx context.Context) (principal, error) {
	p, ok := ctx.Value(principalKey{}).(principal)
	if !ok {
		return principal{}, errors.New("control: no principal in context")
	}
	return p, nil
}

var (
	errNoKey       = errors.New("missing key: send Authorization: Bearer <key>")
	errUnknownKey  = errors.New("unknown key")
	errExpiredKey  = errors.New("key expired")
	errDisabledKey = errors.New("key disabled")
	errUserGone    = errors.New("key's user is disabled or deleted")
)

func unauthenticated(err error) error { return connect.NewError(connect.CodeUnauthenticated, err) }

// bearer extracts the key of an Authorization header.
func bearer(h http.Header) (string, bool) {
	v := h.Get("Authorization")
	scheme, key, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	key = strings.TrimSpace(key)
	return key, key != ""
}

// authenticator resolves admin API keys to principals.
type authenticator struct {
	store    store.Store
	keys     *secrets.Keyring
	adminKey string
	now      func() time.Time
}

func (a *authenticator) authenticate(ctx context.Context, h http.Header) (principal, error) {
	key, ok := bearer(h)
	if !ok {
		return principal{}, unauthenticated(errNoKey)
	}
	if a.adminKey != "" && secrets.Equal(key, a.adminKey) {
		return principal{user: AdminKeyUser, role: adminv1.Role_ROLE_OWNER}, nil
	}
	d := a.keys.TokenDigest(key)
	t, err := a.store.TokenByDigest(ctx, d[:])
	if errors.Is(err, store.ErrNotFound) {
		return principal{}, unauthenticated(errUnknownKey)
	}
	if err != nil {
		return principal{}, fmt.Errorf("authenticate: %w", err)
	}
	tok := t.Token
	if tok.GetStatus() == adminv1.Status_STATUS_DISABLED {
		return principal{}, unauthenticated(errDisabledKey)
	}
	if exp := tok.GetExpireTime(); exp != nil && !a.now().Before(exp.AsTime()) {
		return principal{}, unauthenticated(errExpiredKey)
	}
	u, err := a.store.GetUser(ctx, tok.GetUser())
	if errors.Is(err, store.ErrNotFound) {
		return principal{}, unauthenticated(errUserGone)
	}
	if err != nil {
		return principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if u.GetStatus() == adminv1.Status_STATUS_DISABLED {
		return principal{}, unauthenticated(errUserGone)
	}
	role := u.GetRole()
	if role == adminv1.Role_ROLE_UNSPECIFIED {
		role = adminv1.Role_ROLE_USER
	}
	return principal{user: u.GetName(), role: role}, nil
}

// access is what a procedure needs of its caller.
type access int

const (
	// accessRead: owner, admin and viewer.
	accessRead access = iota + 1
	// accessWrite: owner and admin.
	accessWrite
	// accessAny: every authenticated caller.
	accessAny
)

type rule struct {
	access access
	// ownScope lets callers with the user role in too; the handler limits
	// them to their own resources.
	ownScope bool
}

// allowed decides by role alone; handlers then apply the per-resource rules
// (owners protected from admins, users limited to themselves).
func (r rule) allowed(p principal) bool {
	switch p.role {
	case adminv1.Role_ROLE_OWNER, adminv1.Role_ROLE_ADMIN:
		return true
	case adminv1.Role_ROLE_VIEWER:
		return r.access == accessRead || r.access == accessAny
	case adminv1.Role_ROLE_USER:
		return r.access == accessAny || r.ownScope
	}
	return false
}

// authInterceptor authenticates every admin call and checks its procedure
// against rules. A procedure missing from rules is refused.
type authInterceptor struct {
	auth  *authenticator
	rules map[string]rule
}

func (i *authInterceptor) admit(ctx context.Context, procedure string, h http.Header) (context.Context, error) {
	p, err := i.auth.authenticate(ctx, h)
	if err != nil {
		return nil, err
	}
	r, ok := i.rules[procedure]
	if !ok || !r.allowed(p) {
		return nil, permissionDenied("role %s may not call %s", roleName(p.role), procedure)
	}
	return withPrincipal(ctx, p), nil
}

func (i *authInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		ctx, err := i.admit(ctx, req.Spec().Procedure, req.Header())
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (i *authInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i *authInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := i.admit(ctx, conn.Spec().Procedure, conn.RequestHeader())
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

// internalAuth admits only callers presenting the internal token (routers).
type internalAuth struct{ token string }

func (i internalAuth) check(h http.Header) error {
	key, ok := bearer(h)
	if !ok {
		return unauthenticated(errNoKey)
	}
	if !secrets.Equal(key, i.token) {
		return unauthenticated(errors.New("invalid internal token"))
	}
	return nil
}

func (i internalAuth) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if err := i.check(req.Header()); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (i internalAuth) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i internalAuth) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := i.check(conn.RequestHeader()); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

func roleName(r adminv1.Role) string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "ROLE_"))
}
