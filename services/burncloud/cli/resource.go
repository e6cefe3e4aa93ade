package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// resource describes one kind of admin API resource; command turns it into
// the create, get, list, update and delete commands.
type resource[M proto.Message] struct {
	kind    string   // "user"
	short   string   // what the resource is, for help
	ids     []string // identity arguments, e.g. {"USER", "NAME"}
	example string   // examples of create and update
	newM    func() M
	// identify sets the identity arguments on m.
	identify func(m M, ids []string)
	fields   []field[M]
	// required are flags create needs.
	required []string
	// defaults runs on a created message before the flags apply.
	defaults func(M)

	header []string
	row    func(M) []string
	// wrapList makes the List response of a full listing, for -o json.
	wrapList func([]M) proto.Message

	// listByUser adds --user to list, passed as the listing's filter.
	listByUser bool
	// secret adds --key to create; create returns the secret to print once.
	secret     bool
	withSecret func(M, string) proto.Message

	create func(ctx context.Context, c *clients, m M, secret string) (M, string, error)
	get    func(ctx context.Context, c *clients, ids []string) (M, error)
	list   func(ctx context.Context, c *clients, user string, size int32, pageToken string) ([]M, string, error)
	update func(ctx context.Context, c *clients, m M, mask *fieldmaskpb.FieldMask) (M, error)
	delete func(ctx context.Context, c *clients, ids []string) error
}

func (r *resource[M]) idUse() string { return strings.Join(r.ids, " ") }

func (r *resource[M]) command(s *session) *cobra.Command {
	cmd := parentCommand(r.kind, "Manage "+r.short)
	cmd.Example = r.example
	cmd.AddCommand(r.createCommand(s), r.getCommand(s), r.listCommand(s), r.updateCommand(s), r.deleteCommand(s))
	return cmd
}

func (r *resource[M]) table(items []M) func(io.Writer) error {
	return func(w io.Writer) error {
		t := newTable(w, r.header...)
		for _, m := range items {
			t.row(r.row(m)...)
		}
		return t.flush()
	}
}

// buildCreate makes the message of a create from the identity and the flags.
func (r *resource[M]) buildCreate(fs *pflag.FlagSet, b *fieldFlags[M], ids []string) (M, error) {
	m := r.newM()
	for _, f := range r.required {
		if !fs.Changed(f) {
			var zero M
			return zero, usageErrorf("--%s is required", f)
		}
	}
	if r.defaults != nil {
		r.defaults(m)
	}
	r.identify(m, ids)
	if _, err := b.apply(m); err != nil {
		var zero M
		return zero, err
	}
	return m, nil
}

// buildUpdate makes the message and the mask of an update: the mask names
// exactly the fields whose flags were given, so nothing else changes.
func (r *resource[M]) buildUpdate(b *fieldFlags[M], ids []string) (M, *fieldmaskpb.FieldMask, error) {
	m := r.newM()
	r.identify(m, ids)
	paths, err := b.apply(m)
	if err != nil {
		var zero M
		return zero, nil, err
	}
	if len(paths) == 0 {
		var zero M
		return zero, nil, usageErrorf("nothing to update: give at least one of %s", strings.Join(b.flagNames(), ", "))
	}
	return m, &fieldmaskpb.FieldMask{Paths: paths}, nil
}

func (r *resource[M]) createCommand(s *session) *cobra.Command {
	var secret string
	cmd := &cobra.Command{
		Use:   "create " + r.idUse() + " [flags]",
		Short: "Create a " + r.kind,
		Args:  args(r.ids...),
	}
	cmd.Flags().SortFlags = false // in the order the fields are declared
	b := bindFields(cmd.Flags(), r.fields, r.newM)
	if r.secret {
		cmd.Flags().StringVar(&secret, "key", "", "use this secret instead of a generated one (16-256 printable characters)")
	}
	if len(r.required) > 0 {
		cmd.Short += " (requires --" + strings.Join(r.required, ", --") + ")"
	}
	cmd.RunE = func(cmd *cobra.Command, ids []string) error {
		m, err := r.buildCreate(cmd.Flags(), b, ids)
		if err != nil {
			return err
		}
		created, gotSecret, err := r.create(cmd.Context(), s.client(), m, secret)
		if err != nil {
			return err
		}
		if gotSecret != "" && r.withSecret != nil && s.format != formatTable {
			return s.emit(r.withSecret(created, gotSecret), nil)
		}
		if err := s.emit(created, r.table([]M{created})); err != nil {
			return err
		}
		if gotSecret != "" {
			printSecrets(s.out, [][2]string{{strings.Join(ids, "/"), gotSecret}})
		}
		return nil
	}
	return cmd
}

func (r *resource[M]) getCommand(s *session) *cobra.Command {
	return &cobra.Command{
		Use:   "get " + r.idUse(),
		Short: "Show a " + r.kind,
		Args:  args(r.ids...),
		RunE: func(cmd *cobra.Command, ids []string) error {
			m, err := r.get(cmd.Context(), s.client(), ids)
			if err != nil {
				return err
			}
			return s.emit(m, r.table([]M{m}))
		},
	}
}

func (r *resource[M]) listCommand(s *session) *cobra.Command {
	var user string
	var size int32
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every " + r.kind,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if size < 0 || size > 1000 {
				return usageErrorf("--page-size must be in 0..1000")
			}
			items, err := listAll(cmd.Context(), func(ctx context.Context, token string) ([]M, string, error) {
				return r.list(ctx, s.client(), user, size, token)
			}, 0)
			if err != nil {
				return err
			}
			return s.emit(r.wrapList(items), r.table(items))
		},
	}
	if r.listByUser {
		cmd.Flags().StringVar(&user, "user", "", "only this user's")
	}
	cmd.Flags().Int32Var(&size, "page-size", 0, "items per request (0: the server's default); list always reads every page")
	return cmd
}

func (r *resource[M]) updateCommand(s *session) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update " + r.idUse() + " [flags]",
		Short: "Change the given fields of a " + r.kind + " (only the flags given are changed)",
		Args:  args(r.ids...),
	}
	cmd.Flags().SortFlags = false
	b := bindFields(cmd.Flags(), r.fields, r.newM)
	cmd.RunE = func(cmd *cobra.Command, ids []string) error {
		m, mask, err := r.buildUpdate(b, ids)
		if err != nil {
			return err
		}
		updated, err := r.update(cmd.Context(), s.client(), m, mask)
		if err != nil {
			return err
		}
		return s.emit(updated, r.table([]M{updated}))
	}
	return cmd
}

func (r *resource[M]) deleteCommand(s *session) *cobra.Command {
	return &cobra.Command{
		Use:   "delete " + r.idUse(),
		Short: "Delete a " + r.kind,
		Args:  args(r.ids...),
		RunE: func(cmd *cobra.Command, ids []string) error {
			if err := r.delete(cmd.Context(), s.client(), ids); err != nil {
				return err
			}
			if s.format == formatTable {
				fmt.Fprintf(s.out, "deleted %s %s\n", r.kind, strings.Join(ids, "/"))
			}
			return nil
		},
	}
}

// printSecrets writes secrets that cannot be read again, each with its
// owner ("alice/laptop"), so they stand out from the table above.
func printSecrets(w io.Writer, secrets [][2]string) {
	if len(secrets) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Token secrets, shown only this once; store them now:")
	t := newTable(w, "TOKEN", "SECRET")
	for _, sec := range secrets {
		t.row(sec[0], sec[1])
	}
	_ = t.flush()
}
