package control

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/store"
)

// resourceError names the resource a store error is about, so the boundary
// can tell the caller which one without passing the store's text on.
type resourceError struct {
	kind string // "user", "token"…
	name string
	err  error
}

func (e *resourceError) Error() string { return fmt.Sprintf("%s %q: %v", e.kind, e.name, e.err) }
func (e *resourceError) Unwrap() error { return e.err }

// about wraps err (when not nil) with the resource it concerns.
func about(kind, name string, err error) error {
	if err == nil {
		return nil
	}
	return &resourceError{kind: kind, name: name, err: err}
}

// Errors the handlers return for the caller's mistakes; the boundary maps
// them to codes.
func invalidArgument(format string, args ...any) error {
	return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf(format, args...))
}

func permissionDenied(format string, args ...any) error {
	return connect.NewError(connect.CodePermissionDenied, fmt.Errorf(format, args...))
}

// publicError is the one place a handler's error becomes what the caller
// sees. Connect errors made on purpose pass; store sentinels get their code
// and the resource's name; anything else is Internal without detail, and
// logged.
func publicError(log *zap.Logger, procedure string, err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	var code connect.Code
	var what string
	switch {
	case errors.Is(err, store.ErrNotFound):
		code, what = connect.CodeNotFound, "not found"
	case errors.Is(err, store.ErrAlreadyExists):
		code, what = connect.CodeAlreadyExists, "already exists"
	case errors.Is(err, store.ErrInUse):
		code, what = connect.CodeFailedPrecondition, "is in use"
	case errors.Is(err, store.ErrBadPage):
		return connect.NewError(connect.CodeInvalidArgument, errors.New("page_token is not a token this service returned"))
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, errors.New("request canceled"))
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, errors.New("deadline exceeded"))
	default:
		log.Error("request failed", zap.String("procedure", procedure), zap.Error(err))
		return connect.NewError(connect.CodeInternal, errors.New("internal error"))
	}
	var re *resourceError
	if errors.As(err, &re) {
		return connect.NewError(code, fmt.Errorf("%s %q %s", re.kind, re.name, what))
	}
	return connect.NewError(code, errors.New(what))
}

// errorInterceptor applies publicError to every handler's result.
func errorInterceptor(log *zap.Logger) connect.Interceptor { return errorBoundary{log: log} }

type errorBoundary struct{ log *zap.Logger }

func (b errorBoundary) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		if err != nil {
			return nil, publicError(b.log, req.Spec().Procedure, err)
		}
		return res, nil
	}
}

func (b errorBoundary) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (b errorBoundary) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return publicError(b.log, conn.Spec().Procedure, next(ctx, conn))
	}
}
