package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

const tokenCols = `id, user_name, name, digest, prefix, last4, models, quota_nano_usd, used_nano_usd,
	rpm, tpm, max_concurrency, expire_time, status, create_time, update_time`

func scanToken(row pgx.Row) (store.Token, error) {
	var (
		st               store.Token
		tk               adminv1.Token
		status           int16
		rpm, tpm, conc   *int64
		expire           *time.Time
		created, updated time.Time
	)
	if err := row.Scan(&st.ID, &tk.User, &tk.Name, &st.Digest, &tk.Prefix, &tk.Last4, &tk.Models,
		&tk.QuotaNanoUsd, &tk.UsedNanoUsd, &rpm, &tpm, &conc, &expire, &status, &created, &updated); err != nil {
		return store.Token{}, err
	}
	tk.Status = adminv1.Status(status)
	tk.Limits = limitsOf(rpm, tpm, conc)
	tk.ExpireTime = timeOfPtr(expire)
	tk.CreateTime, tk.UpdateTime = timeOf(created), timeOf(updated)
	st.Token = &tk
	return st, nil
}

func (t *tx) selectTokens(ctx context.Context, tail string, args ...any) ([]store.Token, error) {
	rows, err := t.q.Query(ctx, "SELECT "+tokenCols+" FROM tokens "+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Token, error) { return scanToken(r) })
}

func tokenWhat(user, name string) string { return fmt.Sprintf("token %q of user %q", name, user) }

func (t *tx) CreateToken(ctx context.Context, in store.Token) (store.Token, error) {
	tk := in.Token
	what := tokenWhat(tk.GetUser(), tk.GetName())
	rpm, tpm, conc := limitCols(tk.GetLimits())
	digest := in.Digest
	if digest == nil {
		digest = []byte{}
	}
	out, err := scanToken(t.q.QueryRow(ctx, `
		INSERT INTO tokens (user_name, name, digest, prefix, last4, models, quota_nano_usd,
			rpm, tpm, max_concurrency, expire_time, status)
		SELECT $1, $2, $3::bytea, $4, $5, $6::text[], $7::bigint, $8::bigint, $9::bigint, $10::bigint,
			$11::timestamptz, $12::smallint
		WHERE EXISTS (SELECT 1 FROM users WHERE name = $1)
		ON CONFLICT DO NOTHING
		RETURNING `+tokenCols,
		tk.GetUser(), tk.GetName(), digest, tk.GetPrefix(), tk.GetLast4(), orEmpty(tk.GetModels()),
		tk.QuotaNanoUsd, rpm, tpm, conc, timePtr(tk.GetExpireTime()), int16(tk.GetStatus())))
	if errors.Is(err, pgx.ErrNoRows) {
		found, err := t.exists(ctx, "SELECT 1 FROM users WHERE name = $1", tk.GetUser())
		switch {
		case err != nil:
			return store.Token{}, mapErr(err, what, store.ErrNotFound)
		case !found:
			return store.Token{}, fmt.Errorf("%w: user %q", store.ErrNotFound, tk.GetUser())
		}
		return store.Token{}, fmt.Errorf("%w: %s (or its digest)", store.ErrAlreadyExists, what)
	}
	if err != nil {
		return store.Token{}, mapErr(err, what, store.ErrNotFound)
	}
	t.touchToken(out.ID)
	return out, nil
}

func (t *tx) GetToken(ctx context.Context, user, name string) (store.Token, error) {
	out, err := scanToken(t.q.QueryRow(ctx, "SELECT "+tokenCols+" FROM tokens WHERE user_name = $1 AND name = $2", user, name))
	if err != nil {
		return store.Token{}, mapErr(err, tokenWhat(user, name), store.ErrNotFound)
	}
	return out, nil
}

func (t *tx) TokenByDigest(ctx context.Context, digest []byte) (store.Token, error) {
	out, err := scanToken(t.q.QueryRow(ctx, "SELECT "+tokenCols+" FROM tokens WHERE digest = $1", digest))
	if err != nil {
		return store.Token{}, mapErr(err, "token by digest", store.ErrNotFound)
	}
	return out, nil
}

func (t *tx) ListTokens(ctx context.Context, user string, p store.Page) ([]store.Token, error) {
	var (
		afterUser, afterName string
		err                  error
	)
	if p.After != "" {
		if afterUser, afterName, err = store.ParseTokenCursor(p.After); err != nil {
			return nil, err
		}
	}
	var out []store.Token
	if user != "" {
		if afterUser != "" && afterUser != user {
			return nil, fmt.Errorf("%w: cursor of user %q listing user %q", store.ErrBadPage, afterUser, user)
		}
		out, err = t.selectTokens(ctx, "WHERE user_name = $1 AND name > $2 ORDER BY name LIMIT $3",
			user, afterName, store.PageSize(p))
	} else {
		out, err = t.selectTokens(ctx, "WHERE (user_name, name) > ($1, $2) ORDER BY user_name, name LIMIT $3",
			afterUser, afterName, store.PageSize(p))
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: list tokens: %w", err)
	}
	return out, nil
}

// UpdateToken changes what an admin may change; the digest, prefix, last4
// and usage stay.
func (t *tx) UpdateToken(ctx context.Context, in store.Token) (store.Token, error) {
	tk := in.Token
	rpm, tpm, conc := limitCols(tk.GetLimits())
	out, err := scanToken(t.q.QueryRow(ctx, `
		UPDATE tokens SET models = $3, quota_nano_usd = $4, rpm = $5, tpm = $6, max_concurrency = $7,
			expire_time = $8, status = $9, update_time = now(),
			digest = COALESCE($10, digest),
			prefix = CASE WHEN $10::bytea IS NULL THEN prefix ELSE $11 END,
			last4 = CASE WHEN $10::bytea IS NULL THEN last4 ELSE $12 END
		WHERE user_name = $1 AND name = $2 RETURNING `+tokenCols,
		tk.GetUser(), tk.GetName(), orEmpty(tk.GetModels()), tk.QuotaNanoUsd, rpm, tpm, conc,
		timePtr(tk.GetExpireTime()), int16(tk.GetStatus()), digestArg(in.Digest), tk.GetPrefix(), tk.GetLast4()))
	if err != nil {
		return store.Token{}, mapErr(err, tokenWhat(tk.GetUser(), tk.GetName()), store.ErrNotFound)
	}
	t.touchToken(out.ID)
	return out, nil
}

func (t *tx) DeleteToken(ctx context.Context, user, name string) error {
	var id int64
	err := t.q.QueryRow(ctx, "DELETE FROM tokens WHERE user_name = $1 AND name = $2 RETURNING id", user, name).Scan(&id)
	if err != nil {
		return mapErr(err, tokenWhat(user, name), store.ErrInUse)
	}
	t.touchToken(id)
	return nil
}

// digestArg is nil (keep the stored secret) for an empty digest.
func digestArg(d []byte) any {
	if len(d) == 0 {
		return nil
	}
	return d
}
