package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"
)

// Exit codes of Run.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// App is the burncloud command line: its streams, its environment and how it
// reaches control. The zero value reads os.Stdin, writes os.Stdout and
// os.Stderr and reads the process environment.
type App struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Env reads environment variables; nil means os.LookupEnv.
	Env Lookup
	// HTTPClient calls control; nil means a client with connection timeouts.
	HTTPClient connect.HTTPClient
}

// Run executes args (without the program name) and returns the exit code:
// ExitOK, ExitError, or ExitUsage for a malformed command line.
func (a *App) Run(ctx context.Context, args []string) int {
	s := a.session()
	root := s.root()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	return s.report(cmd, err)
}

// Command builds a fresh command tree, for embedding or documentation.
func (a *App) Command() *cobra.Command { return a.session().root() }

func (a *App) session() *session {
	s := &session{in: a.In, out: a.Out, errOut: a.Err, env: a.Env, httpClient: a.HTTPClient}
	if s.in == nil {
		s.in = os.Stdin
	}
	if s.out == nil {
		s.out = os.Stdout
	}
	if s.errOut == nil {
		s.errOut = os.Stderr
	}
	if s.env == nil {
		s.env = os.LookupEnv
	}
	if s.httpClient == nil {
		s.httpClient = defaultHTTPClient()
	}
	return s
}

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	// Apply and the ledger listing may take a while; a stuck server should not hang the CLI forever.
	t.ResponseHeaderTimeout = 5 * time.Minute
	return &http.Client{Transport: t}
}

// session is one run of the CLI: the streams, the global flags and, once
// they are resolved, the endpoint and the output format. Every command
// reads it.
type session struct {
	in         io.Reader
	out        io.Writer
	errOut     io.Writer
	env        Lookup
	httpClient connect.HTTPClient

	flagURL, flagKey, flagDataDir, flagOutput string

	format   format
	endpoint Endpoint
	api      *clients
}

// command is a top-level command: the help group it is listed under and its
// constructor.
type command struct {
	group string
	build func(*session) *cobra.Command
}

const (
	groupResources = "resources"
	groupConfig    = "config"
	groupObserve   = "observe"
	groupLocal     = "local"
)

var groupTitles = map[string]string{
	groupResources: "Resources:",
	groupConfig:    "Declarative configuration:",
	groupObserve:   "Usage and operations:",
	groupLocal:     "Local development:",
}

// commands lists the top-level commands in help order. A command written in
// its own file (`dev`, `chat`, …) is added here with one line.
func commands() []command {
	return []command{
		{groupResources, userCommand},
		{groupResources, tokenCommand},
		{groupResources, channelCommand},
		{groupResources, modelCommand},
		{groupResources, groupCommand},
		{groupConfig, applyCommand},
		{groupConfig, exportCommand},
		{groupObserve, usageCommand},
		{groupObserve, logsCommand},
		{groupObserve, routersCommand},
		{groupObserve, auditCommand},
		{groupLocal, devCommand},
		{groupLocal, chatCommand},
		{groupLocal, fakeUpstreamCommand},
	}
}

func (s *session) root() *cobra.Command {
	root := parentCommand("burncloud", "Operate a BurnCloud LLM gateway")
	root.Long = `burncloud manages a BurnCloud gateway through its control API: users, API
keys (tokens), upstream channels, models and prices, groups, the declarative
file, usage and the audit of billing.

The control API and admin key come from --control-url / --admin-key, else
BURNCLOUD_CONTROL_URL / BURNCLOUD_ADMIN_KEY, else (when neither variable is
set) the files "burncloud dev" writes in its data folder (url, admin-key).`
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.errOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.DisableDefaultCmd = true

	pf := root.PersistentFlags()
	pf.StringVar(&s.flagURL, "control-url", "", "control API URL (env "+EnvControlURL+", default "+DefaultControlURL+")")
	pf.StringVar(&s.flagKey, "admin-key", "", "admin API key (env "+EnvAdminKey+"; prefer the variable: flags show in process lists)")
	pf.StringVar(&s.flagDataDir, "data-dir", "", "data folder of \"burncloud dev\" (env "+EnvDataDir+", default "+DefaultDataDir+")")
	pf.StringVarP(&s.flagOutput, "output", "o", string(formatTable), "output format: table, json or yaml")
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return s.resolve() }

	added := map[string]bool{}
	for _, c := range commands() {
		if !added[c.group] {
			root.AddGroup(&cobra.Group{ID: c.group, Title: groupTitles[c.group]})
			added[c.group] = true
		}
		cmd := c.build(s)
		cmd.GroupID = c.group
		root.AddCommand(cmd)
	}
	return root
}

// resolve reads the global flags once the command line is parsed.
func (s *session) resolve() error {
	f, err := parseFormat(s.flagOutput)
	if err != nil {
		return usageError{err}
	}
	s.format = f
	ep, err := ResolveEndpoint(s.flagURL, s.flagKey, DataDir(s.flagDataDir, s.env), s.env)
	if err != nil {
		return usageError{err}
	}
	s.endpoint = ep
	return nil
}

// client returns the admin API clients, built on first use.
func (s *session) client() *clients {
	if s.api == nil {
		s.api = newClients(s.httpClient, s.endpoint)
	}
	return s.api
}

// parentCommand is a command that only groups others. Run with an unknown
// subcommand it is a usage error, without one it prints its help.
func parentCommand(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
}

// usageError is a malformed command line: exit code 2 and a pointer to --help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitError ends the run with code after its message was already printed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// args checks the positional arguments against their names.
func args(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, got []string) error {
		if len(got) != len(names) {
			return usageErrorf("%s takes %d argument(s) (%s), got %d", cmd.CommandPath(), len(names), strings.Join(names, " "), len(got))
		}
		for i, v := range got {
			if v == "" {
				return usageErrorf("%s: %s must not be empty", cmd.CommandPath(), names[i])
			}
		}
		return nil
	}
}

func noArgs(cmd *cobra.Command, got []string) error {
	if len(got) > 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), got[0])
	}
	return nil
}

// report prints err the way the CLI promises and returns the exit code.
func (s *session) report(cmd *cobra.Command, err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(s.errOut, "burncloud: %s\n", ee.msg)
		}
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(s.errOut, "burncloud: %v\n", ue.err)
		path := "burncloud"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(s.errOut, "Run '%s --help' for usage.\n", path)
		return ExitUsage
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		fmt.Fprintf(s.errOut, "burncloud: %s: %s\n", ce.Code(), ce.Message())
		if hint := s.hint(ce.Code()); hint != "" {
			fmt.Fprintf(s.errOut, "hint: %s\n", hint)
		}
		return ExitError
	}
	fmt.Fprintf(s.errOut, "burncloud: %v\n", err)
	return ExitError
}

func (s *session) hint(code connect.Code) string {
	switch code {
	case connect.CodeUnauthenticated:
		if s.endpoint.AdminKey == "" {
			return "no admin key: set " + EnvAdminKey + " or pass --admin-key"
		}
	case connect.CodeUnavailable:
		return fmt.Sprintf("is control running at %s (from %s)?", s.endpoint.URL, s.endpoint.Source)
	}
	return ""
}
