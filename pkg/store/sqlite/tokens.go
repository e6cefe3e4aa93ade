package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

const tokenCols = `id, user_name, name, digest, prefix, last4, models, quota_nano_usd, used_nano_usd,
	rpm, tpm, max_concurrency, expire_time, status, create_time, update_time`

func scanToken(row scanner) (store.Token, error) {
	var (
		st               store.Token
		tk               adminv1.Token
		status           int32
		rpm, tpm, conc   *int64
		expire           *int64
		created, updated int64
	)
	if err := row.Scan(&st.ID, &tk.User, &tk.Name, &st.Digest, &tk.Prefix, &tk.Last4, jsonCol{&tk.Models},
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
	rows, err := t.q.QueryContext(ctx, "SELECT "+tokenCols+" FROM tokens "+tail, args...)
	return collect(rows, err, scanToken)
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
	// ON CONFLICT without a target covers both (user, name) and the digest.
	out, err := scanToken(t.q.QueryRowContext(ctx, `
		INSERT INTO tokens (user_name, name, digest, prefix, last4, models, quota_nano_usd,
			rpm, tpm, max_concurrency, expire_time, status, create_time, update_time)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13
		WHERE EXISTS (SELECT 1 FROM users WHERE name = ?1)
		ON CONFLICT DO NOTHING
		RETURNING `+tokenCols,
		tk.GetUser(), tk.GetName(), digest, tk.GetPrefix(), tk.GetLast4(), stringsText(tk.GetModels()),
		tk.QuotaNanoUsd, rpm, tpm, conc, nanosPtr(tk.GetExpireTime()), int32(tk.GetStatus()), t.now))
	if errors.Is(err, sql.ErrNoRows) {
		found, err := t.exists(ctx, "SELECT 1 FROM users WHERE name = ?", tk.GetUser())
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
	out, err := scanToken(t.q.QueryRowContext(ctx,
		"SELECT "+tokenCols+" FROM tokens WHERE user_name = ? AND name = ?", user, name))
	if err != nil {
		return store.Token{}, mapErr(err, tokenWhat(user, name), store.ErrNotFound)
	}
	return out, nil
}

func (t *tx) TokenByDigest(ctx context.Context, digest []byte) (store.Token, error) {
	if digest == nil {
		digest = []byte{}
	}
	out, err := scanToken(t.q.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE digest = ?", digest))
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
		out, err = t.selectTokens(ctx, "WHERE user_name = ? AND name > ? ORDER BY name LIMIT ?",
			user, afterName, store.PageSize(p))
	} else {
		out, err = t.selectTokens(ctx, "WHERE (user_name, name) > (?, ?) ORDER BY user_name, name LIMIT ?",
			afterUser, afterName, store.PageSize(p))
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: list tokens: %w", err)
	}
	return out, nil
}

// UpdateToken changes what an admin may change; the digest, prefix, last4
// and usage stay.
func (t *tx) UpdateToken(ctx context.Context, in store.Token) (store.Token, error) {
	tk := in.Token
	rpm, tpm, conc := limitCols(tk.GetLimits())
	out, err := scanToken(t.q.QueryRowContext(ctx, `
		UPDATE tokens SET models = ?3, quota_nano_usd = ?4, rpm = ?5, tpm = ?6, max_concurrency = ?7,
			expire_time = ?8, status = ?9, update_time = ?10,
			digest = COALESCE(?11, digest),
			prefix = CASE WHEN ?11 IS NULL THEN prefix ELSE ?12 END,
			last4 = CASE WHEN ?11 IS NULL THEN last4 ELSE ?13 END
		WHERE user_name = ?1 AND name = ?2 RETURNING `+tokenCols,
		tk.GetUser(), tk.GetName(), stringsText(tk.GetModels()), tk.QuotaNanoUsd, rpm, tpm, conc,
		nanosPtr(tk.GetExpireTime()), int32(tk.GetStatus()), t.now, digestArg(in.Digest), tk.GetPrefix(), tk.GetLast4()))
	if err != nil {
		return store.Token{}, mapErr(err, tokenWhat(tk.GetUser(), tk.GetName()), store.ErrNotFound)
	}
	t.touchToken(out.ID)
	return out, nil
}

func (t *tx) DeleteToken(ctx context.Context, user, name string) error {
	var id int64
	err := t.q.QueryRowContext(ctx, "DELETE FROM tokens WHERE user_name = ? AND name = ? RETURNING id",
		user, name).Scan(&id)
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
