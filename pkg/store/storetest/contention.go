package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// testSettleWhileAdminWrites: settlement and admin writes on the same users
// and tokens (users before tokens, as the Tx contract asks) run side by
// side without failing, and every settled cost lands on its user.
func testSettleWhileAdminWrites(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	users := []string{"u0", "u1", "u2"}
	tokens := map[string][]store.Token{}
	for _, u := range users {
		mustUser(t, s, u)
		for k := range 3 {
			tokens[u] = append(tokens[u], mustToken(t, s, u, fmt.Sprintf("t%d", k)))
		}
	}
	const rounds = 30
	wantUser := map[string]int64{}
	batches := make([][]*usagev1.UsageEvent, rounds)
	for r := range batches {
		for i := range 40 {
			u := users[(r+i)%len(users)]
			cost := int64(1000*r + i + 1)
			batches[r] = append(batches[r], event(fmt.Sprintf("ev-%d-%d", r, i), u, tokens[u][i%3], cost))
			wantUser[u] += cost
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds+2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for _, b := range batches {
			if _, err := s.Settle(ctx, b); err != nil {
				errs <- fmt.Errorf("settle: %w", err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for r := range rounds {
			if err := adminRound(ctx, s, users[r%len(users)], r); err != nil {
				errs <- fmt.Errorf("admin round %d: %w", r, err)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, u := range users {
		if got := userUsed(t, s, u); got != wantUser[u] {
			t.Fatalf("user %s used %d, want %d", u, got, wantUser[u])
		}
	}
}

// adminRound changes a user and its tokens in one transaction, users first.
func adminRound(ctx context.Context, s store.Store, user string, r int) error {
	return s.InTx(ctx, func(tx store.Tx) error {
		u := newUser(user)
		u.QuotaNanoUsd = proto.Int64(int64(1_000_000 * (r + 1)))
		if _, err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		tks, err := tx.ListTokens(ctx, user, store.Page{})
		if err != nil {
			return err
		}
		for _, tk := range tks {
			tk.Token.Status = []adminv1.Status{adminv1.Status_STATUS_ACTIVE, adminv1.Status_STATUS_DISABLED}[r%2]
			if _, err := tx.UpdateToken(ctx, tk); err != nil {
				return err
			}
		}
		return nil
	})
}
