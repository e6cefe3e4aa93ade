package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/services/control/declarative"
)

func applyCommand(s *session) *cobra.Command {
	var file string
	var prune, dryRun bool
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Apply a declarative file (channels, models, groups, users and tokens)",
		Long: `apply makes the gateway match a declarative YAML file, by name and in one
transaction: applying the same file twice changes nothing. ${VAR} references
are expanded from this shell's environment before the file is sent ("$$" is
a literal "$"). Token secrets the file does not give are generated and printed
once.`,
		Example: `  OPENAI_API_KEY=sk-… burncloud apply -f burncloud.yaml
  burncloud apply -f burncloud.yaml --dry-run --prune
  cat burncloud.yaml | burncloud apply -f -`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usageErrorf("-f FILE is required (- for standard input)")
			}
			doc, err := s.readFile(file)
			if err != nil {
				return err
			}
			doc, err = declarative.Expand(doc, s.env)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			res, err := s.client().config.Apply(cmd.Context(), connect.NewRequest(&adminv1.ApplyRequest{
				Document: string(doc), Prune: prune, DryRun: dryRun,
			}))
			if err != nil {
				return err
			}
			return s.emit(res.Msg, func(w io.Writer) error { return writeApplyResult(w, res.Msg) })
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "declarative file to apply (- for standard input)")
	cmd.Flags().BoolVar(&prune, "prune", false, "also delete what the file no longer names")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the changes without making them")
	return cmd
}

func (s *session) readFile(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(s.in)
	}
	return os.ReadFile(name)
}

var actionSigns = map[adminv1.ChangeAction]string{
	adminv1.ChangeAction_CHANGE_ACTION_CREATE: "+ create",
	adminv1.ChangeAction_CHANGE_ACTION_UPDATE: "~ update",
	adminv1.ChangeAction_CHANGE_ACTION_DELETE: "- delete",
}

// writeApplyResult prints one line per change with its details indented
// below, a count, and the generated secrets.
func writeApplyResult(w io.Writer, res *adminv1.ApplyResponse) error {
	counts := map[adminv1.ChangeAction]int{}
	for _, c := range res.Changes {
		sign, ok := actionSigns[c.Action]
		if !ok {
			sign = "? " + strings.ToLower(c.Action.String())
		}
		counts[c.Action]++
		fmt.Fprintf(w, "%s %s %s\n", sign, c.Kind, c.Name)
		for _, d := range c.Details {
			fmt.Fprintf(w, "    %s\n", d)
		}
	}
	switch {
	case len(res.Changes) == 0:
		fmt.Fprintln(w, "no changes")
	default:
		verb := "applied"
		if res.DryRun {
			verb = "would apply (dry run, nothing changed)"
		}
		fmt.Fprintf(w, "%s %d change(s): %d create, %d update, %d delete\n", verb, len(res.Changes),
			counts[adminv1.ChangeAction_CHANGE_ACTION_CREATE], counts[adminv1.ChangeAction_CHANGE_ACTION_UPDATE],
			counts[adminv1.ChangeAction_CHANGE_ACTION_DELETE])
	}
	secrets := make([][2]string, len(res.GeneratedSecrets))
	for i, g := range res.GeneratedSecrets {
		secrets[i] = [2]string{g.User + "/" + g.Token, g.Secret}
	}
	printSecrets(w, secrets)
	return nil
}

func exportCommand(s *session) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "export [-f FILE]",
		Short: "Write the current state as a declarative file (secrets left out)",
		Long: `export writes channels, models, groups and users with their tokens in the
shape "burncloud apply" reads, without channel keys or token secrets, so the
output applies back with no changes. It is always YAML; -o does not apply.`,
		Example: `  burncloud export > burncloud.yaml
  burncloud export -f burncloud.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := s.client().config.Export(cmd.Context(), connect.NewRequest(&adminv1.ExportRequest{}))
			if err != nil {
				return err
			}
			doc := res.Msg.GetDocument()
			if file != "" && file != "-" {
				return os.WriteFile(file, []byte(doc), 0o644)
			}
			_, err = io.WriteString(s.out, doc)
			return err
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "write to FILE instead of standard output")
	return cmd
}
