package control

import (
	"context"
	"errors"
	"fmt"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// validateInterceptor checks every request message against its protovalidate
// rules before the handler runs. The error lists every violation, with the
// violations attached as a detail for programs.
type validateInterceptor struct{ v protovalidate.Validator }

func newValidateInterceptor() (*validateInterceptor, error) {
	v, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	return &validateInterceptor{v: v}, nil
}

func (i *validateInterceptor) check(msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil
	}
	var opts []protovalidate.ValidationOption
	if f, ok := partialUpdate(m); ok {
		opts = append(opts, protovalidate.WithFilter(f))
	}
	return i.validate(m, opts...)
}

// validate checks one message and maps violations to InvalidArgument.
func (i *validateInterceptor) validate(m proto.Message, opts ...protovalidate.ValidationOption) error {
	err := i.v.Validate(m, opts...)
	if err == nil {
		return nil
	}
	var ve *protovalidate.ValidationError
	if !errors.As(err, &ve) {
		// A rule that cannot be compiled is our fault, not the caller's.
		return fmt.Errorf("validate %T: %w", m, err)
	}
	ce := connect.NewError(connect.CodeInvalidArgument, ve)
	if d, derr := connect.NewErrorDetail(ve.ToProto()); derr == nil {
		ce.AddDetail(d)
	}
	return ce
}

// partialUpdate recognises an update request with a non-empty update_mask.
// Its resource holds only the masked fields, so the resource's rules are
// left to the handler, which checks the merged result instead.
func partialUpdate(m proto.Message) (protovalidate.Filter, bool) {
	r := m.ProtoReflect()
	maskFD := r.Descriptor().Fields().ByName("update_mask")
	if maskFD == nil || maskFD.Message() == nil || maskFD.Message().FullName() != "google.protobuf.FieldMask" || !r.Has(maskFD) {
		return nil, false
	}
	paths := r.Get(maskFD).Message().Descriptor().Fields().ByName("paths")
	if paths == nil || r.Get(maskFD).Message().Get(paths).List().Len() == 0 {
		return nil, false
	}
	top := r.Descriptor()
	return protovalidate.FilterFunc(func(msg protoreflect.Message, d protoreflect.Descriptor) bool {
		fd, isField := d.(protoreflect.FieldDescriptor)
		if !isField || msg.Descriptor() != top || fd == maskFD {
			return true
		}
		return fd.Message() == nil // the resource field: checked after merging
	}), true
}

func (i *validateInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if err := i.check(req.Any()); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (i *validateInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i *validateInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return next(ctx, &validatingConn{StreamingHandlerConn: conn, i: i})
	}
}

type validatingConn struct {
	connect.StreamingHandlerConn
	i *validateInterceptor
}

func (c *validatingConn) Receive(msg any) error {
	if err := c.StreamingHandlerConn.Receive(msg); err != nil {
		return err
	}
	return c.i.check(msg)
}
