// Package store is the persistence shared by control and billing: the schema,
// its migrations, the repositories, the ledger and the change notifier.
//
// Resources travel as the admin API's protobuf messages so that no layer
// translates between near-identical structs. Names are identities; tokens
// are identified by (user, name) and carry a numeric id for the snapshot.
package store

import (
	"context"
	"errors"
	"time"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

// Errors every implementation returns, so callers map them with errors.Is.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrInUse: a delete refused because another resource refers to it
	// (a group with users, a user with tokens).
	ErrInUse = errors.New("store: in use")
	// ErrRevisionGone: the change log no longer reaches back to the asked
	// revision; the caller sends a full snapshot instead.
	ErrRevisionGone = errors.New("store: revision no longer in the change log")
	// ErrBadPage: Page.After is not a key that the listing produced.
	ErrBadPage = errors.New("store: bad page token")
	// ErrInvalidEvent: Settle refused a batch holding an event without an
	// id or a time; nothing of the batch was written.
	ErrInvalidEvent = errors.New("store: invalid usage event")
	// ErrMissingField: a write lacks a field the store keeps as NOT NULL
	// and has no default for (a group without a ratio); nothing was written.
	ErrMissingField = errors.New("store: required field not set")
)

// DefaultPageSize is the page size used when Page.Size <= 0.
const DefaultPageSize = 100

// Page is keyset pagination: up to Size items after the key After ("" = from the start).
type Page struct {
	Size  int
	After string
}

// Token is a stored API key: its admin view plus what only the store and the
// snapshot see.
type Token struct {
	ID     int64
	Token  *adminv1.Token
	Digest []byte // HMAC-SHA256 of the secret under the token-digest subkey
}

// SealedKey is one upstream key of a channel, encrypted at rest.
type SealedKey struct {
	ID     string // stable within the channel
	Sealed []byte // AES-GCM under the channel-key subkey
	Masked string // for display
}

// Channel is a stored channel. Channel.Keys is always empty here; the keys
// live sealed in Keys.
type Channel struct {
	Channel *adminv1.Channel
	Keys    []SealedKey
}

// EntityKind names a kind of snapshot content.
type EntityKind int

const (
	KindChannel EntityKind = iota + 1
	KindModel
	KindGroup
	KindToken
	KindUser
)

// EntityKey identifies one piece of snapshot content: a name, or for tokens
// the decimal id.
type EntityKey struct {
	Kind EntityKind
	Key  string
}

// State is snapshot content at one revision.
type State struct {
	Revision int64
	Channels []Channel
	Models   []*adminv1.Model
	Groups   []*adminv1.Group
	Tokens   []Token
	Users    []*adminv1.User
}

// Delta brings a holder of revision From to revision To: the current state
// of everything changed in between (Upserts.Revision == To) and the keys
// deleted since.
type Delta struct {
	From       int64
	To         int64
	Upserts    State
	Tombstones []EntityKey
}

// SettleResult tells what one settlement batch did.
type SettleResult struct {
	Inserted   int // new ledger rows
	Duplicates int // events already in the ledger (or twice in the batch): changed nothing
	// Revision of the batch's change, 0 when no existing user or token
	// changed (duplicates only, zero costs, unknown users).
	Revision int64
}

// Tx is every read and write on admin resources. Writes append to the change
// log under one serialized revision per transaction.
//
// Inside InTx, a call failing with ErrNotFound, ErrAlreadyExists, ErrInUse
// or ErrMissingField leaves the transaction usable, so a caller may try a
// create and fall back to an update. A new store holds the group "default" (ratio 1.0); a user's
// empty group means it. A user's group must exist (ErrNotFound otherwise); a
// group with users cannot be deleted (ErrInUse); deleting a user deletes its
// tokens (each leaves a tombstone). Limits with no field set read back as nil.
// A group written without a ratio fails with ErrMissingField (the store does
// not pick a default price); a group read back always has one.
// Settlement locks users before tokens; a transaction writing both should
// do the same, or it may lose a deadlock against a settling batch.
type Tx interface {
	CreateUser(ctx context.Context, u *adminv1.User) (*adminv1.User, error)
	GetUser(ctx context.Context, name string) (*adminv1.User, error)
	ListUsers(ctx context.Context, p Page) ([]*adminv1.User, error)
	// UpdateUser replaces every settable field (the caller applied any field mask).
	UpdateUser(ctx context.Context, u *adminv1.User) (*adminv1.User, error)
	DeleteUser(ctx context.Context, name string) error

	CreateGroup(ctx context.Context, g *adminv1.Group) (*adminv1.Group, error)
	GetGroup(ctx context.Context, name string) (*adminv1.Group, error)
	ListGroups(ctx context.Context, p Page) ([]*adminv1.Group, error)
	UpdateGroup(ctx context.Context, g *adminv1.Group) (*adminv1.Group, error)
	DeleteGroup(ctx context.Context, name string) error

	CreateModel(ctx context.Context, m *adminv1.Model) (*adminv1.Model, error)
	GetModel(ctx context.Context, name string) (*adminv1.Model, error)
	ListModels(ctx context.Context, p Page) ([]*adminv1.Model, error)
	UpdateModel(ctx context.Context, m *adminv1.Model) (*adminv1.Model, error)
	DeleteModel(ctx context.Context, name string) error

	CreateChannel(ctx context.Context, c Channel) (Channel, error)
	GetChannel(ctx context.Context, name string) (Channel, error)
	ListChannels(ctx context.Context, p Page) ([]Channel, error)
	UpdateChannel(ctx context.Context, c Channel) (Channel, error)
	DeleteChannel(ctx context.Context, name string) error

	CreateToken(ctx context.Context, t Token) (Token, error)
	GetToken(ctx context.Context, user, name string) (Token, error)
	TokenByDigest(ctx context.Context, digest []byte) (Token, error)
	// ListTokens lists one user's tokens, or every token when user is "".
	// After is "user/name" of the last token seen.
	ListTokens(ctx context.Context, user string, p Page) ([]Token, error)
	// UpdateToken replaces the token's settable fields; when t.Digest is set
	// it also replaces the secret (digest, prefix and last 4).
	UpdateToken(ctx context.Context, t Token) (Token, error)
	DeleteToken(ctx context.Context, user, name string) error
}

// Store is the whole persistence layer. Its Tx methods run each in a
// transaction of their own; InTx runs many in one.
type Store interface {
	Tx
	InTx(ctx context.Context, fn func(Tx) error) error

	// Snapshot reads all snapshot content consistently at the current revision.
	Snapshot(ctx context.Context) (State, error)
	// ChangesSince reads what changed after revision from, consistently.
	ChangesSince(ctx context.Context, from int64) (Delta, error)
	// Revision is the latest committed revision.
	Revision(ctx context.Context) (int64, error)
	// Subscribe wakes the caller after changes commit (on any replica for
	// Postgres). A wake-up is a hint only: readers still read the change log.
	Subscribe() (wake <-chan struct{}, cancel func())

	// Settle records a batch of usage events exactly once: ledger rows keyed
	// by event id, only new costs added to token and user usage, request
	// logs and rollups, one change revision and one notification per batch.
	Settle(ctx context.Context, events []*usagev1.UsageEvent) (SettleResult, error)
	// In the usage queries a nil filter matches everything.
	//
	// ListRequestLogs lists settled events newest first; Page.After is
	// RequestLogCursor of the last event seen. Model filters the requested
	// (client-facing) model.
	ListRequestLogs(ctx context.Context, f *adminv1.UsageFilter, p Page) ([]*usagev1.UsageEvent, error)
	// AggregateUsage sums settled usage grouped by the given dimensions, in
	// the order of the dimensions' values; with no dimension it returns one
	// total row (zeros when nothing matched).
	AggregateUsage(ctx context.Context, f *adminv1.UsageFilter, by []adminv1.UsageDimension) ([]*adminv1.UsageAggregate, error)
	// ListLedger lists ledger entries newest first (by event time); Page.After
	// is LedgerCursor of the last entry seen. The filter's http_status does
	// not apply to the ledger and is ignored.
	ListLedger(ctx context.Context, f *adminv1.UsageFilter, p Page) ([]*adminv1.LedgerEntry, error)
	// DeleteRequestLogsBefore removes request logs older than t, in small
	// batches so that settlement is never blocked long, and returns how many
	// went. The ledger and the rollups are kept.
	DeleteRequestLogsBefore(ctx context.Context, t time.Time) (int64, error)
	// PruneChanges drops the change log up to and including revision
	// keepAfter (clamped to the current revision); ChangesSince from an
	// older revision then returns ErrRevisionGone.
	PruneChanges(ctx context.Context, keepAfter int64) error

	// RecordRouter upserts a watching router's state for the fleet view.
	RecordRouter(ctx context.Context, r *adminv1.Router) error
	ListRouters(ctx context.Context) ([]*adminv1.Router, error)

	Close()
}
