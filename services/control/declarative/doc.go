// Package declarative reads, applies and writes the declarative file: the YAML
// document of channels, models, groups and users (with their tokens) that
// `burncloud apply -f FILE` and BURNCLOUD_BOOTSTRAP_FILE feed to control.
//
// The flow is Expand (substitute ${VAR}; the CLI does it before sending),
// Parse (strict YAML, every problem reported at once), then Apply inside one
// store transaction. Export writes the current state back in the same shape.
//
// # Identity and idempotence
//
// Everything is identified by name (tokens by user and name). Apply reads the
// current state of each named resource, compares it field by field with the
// file and writes only what differs, so applying a file twice reports no
// changes and writes nothing. An entry describes the whole resource: a field
// left out of the file takes its default (no quota, no limits, status active,
// weight 1, ratio 1.0), except for secrets:
//
//   - channel keys: absent `keys` leaves the stored keys alone; `keys: []`
//     removes them all; a list replaces them. Keys are compared by their key
//     id (see [Sealer.KeyID]), never decrypted.
//   - token keys: absent `key` generates a secret when the token is created
//     (returned once in [Result.Secrets]) and leaves an existing token's
//     secret alone; a `key` is compared with the stored digest.
//
// Export therefore leaves secrets out (no `keys`, no `key`) and its output
// applies back with no changes.
//
// # Dry runs
//
// Apply with [Options.DryRun] only reads: it computes the same plan and
// reports it without writing, sealing or generating secrets. The caller may
// run it in a transaction it then rolls back or commits: nothing was written.
package declarative
