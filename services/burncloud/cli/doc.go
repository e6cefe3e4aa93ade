// Package cli is the burncloud command line: resource commands for users,
// tokens, channels, models and groups, the declarative file (apply,
// export), usage and request logs, the router fleet, and the audit that
// reconciles the usage stream, the ledger and the balances.
//
// Every command talks to control's admin API over Connect. App.Run executes
// one command line and returns its exit code, so tests run the CLI in
// process. New top-level commands are listed in commands() (app.go).
package cli
