package limits

import (
	"sync"
	"testing"
	"time"
)

func TestChannelAdmission(t *testing.T) {
	cases := []struct {
		name  string
		lim   Limits
		fleet int
		est   int64
		want  int
		limit Limit
	}{
		{"rpm", Limits{RPM: 30}, 1, 10, 30, ChannelRPM},
		{"rpm shared by a fleet of 4", Limits{RPM: 30}, 4, 10, 8, ChannelRPM},
		{"tpm", Limits{TPM: 1_000}, 1, 300, 3, ChannelTPM},
		{"tpm estimate above the limit", Limits{TPM: 1_000}, 1, 5_000, 1, ChannelTPM},
		{"concurrency", Limits{MaxConcurrency: 5}, 2, 1, 3, ChannelConcurrency},
		{"unlimited", Limits{}, 1, 1, 100, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLimiter(t, Config{FleetSize: tc.fleet, Window: 10 * time.Second}, nil, false)
			var mu sync.Mutex
			var slots []*ChannelSlot
			var wg sync.WaitGroup
			for range 100 {
				wg.Go(func() {
					s, ok := l.AdmitChannel("openai-main", tc.lim, tc.est)
					if ok {
						mu.Lock()
						slots = append(slots, s)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(slots) != tc.want {
				t.Fatalf("admitted %d of 100, want %d", len(slots), tc.want)
			}
			if tc.limit != "" {
				if got := l.decisions(tc.limit, resultRefused); got != float64(100-tc.want) {
					t.Fatalf("refused metric %v, want %d", got, 100-tc.want)
				}
			}
			// Other channels are not affected.
			if _, ok := l.AdmitChannel("other", tc.lim, tc.est); !ok {
				t.Fatal("another channel refused")
			}
		})
	}
}

func TestChannelSlotDone(t *testing.T) {
	l := newTestLimiter(t, Config{Window: 10 * time.Second}, nil, false)
	lim := Limits{TPM: 1_000, MaxConcurrency: 1}
	s, ok := l.AdmitChannel("c", lim, 600)
	if !ok {
		t.Fatal("first attempt refused")
	}
	if _, ok := l.AdmitChannel("c", Limits{TPM: 1_000}, 600); ok {
		t.Fatal("tpm estimate not counted")
	}
	if _, ok := l.AdmitChannel("c", lim, 1); ok {
		t.Fatal("concurrency not counted")
	}
	s.Done(100)
	s.Done(100) // once only
	second, ok := l.AdmitChannel("c", lim, 600)
	if !ok {
		t.Fatal("after done: refused")
	}
	// 100 + 600 used; a third of 600 does not fit even once the slot is free.
	second.Done(600)
	if _, ok := l.AdmitChannel("c", lim, 600); ok {
		t.Fatal("actual tokens not counted")
	}
	var none *ChannelSlot
	none.Done(1)
}

func TestWindowWait(t *testing.T) {
	w := time.Second
	at := func(ms int64) clock { return clockAt(time.UnixMilli(1_000_000_000_000+ms), w) }
	cases := []struct {
		name        string
		prev, cur   int64
		when        int64 // ms into the window
		cost, limit int64
		want        time.Duration
	}{
		{"fits", 0, 4, 0, 1, 5, 0},
		{"full, nothing before", 0, 5, 0, 1, 5, 1200 * time.Millisecond},
		{"previous fades", 10, 0, 0, 1, 5, 600 * time.Millisecond},
		{"previous faded enough", 8, 0, 500, 1, 5, 0},
		{"next window then fade", 0, 10, 250, 1, 10, 750*time.Millisecond + 100*time.Millisecond},
		{"cost above limit", 0, 0, 0, 50, 10, 0},
		{"cost above limit after use", 0, 1, 0, 50, 10, 2000 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := at(tc.when)
			x := window{n: c.n, cur: tc.cur, prev: tc.prev}
			if got := x.wait(c, tc.cost, tc.limit); got != tc.want {
				t.Fatalf("wait %s, want %s", got, tc.want)
			}
		})
	}
}

func TestWindowRollsAndCorrects(t *testing.T) {
	x := window{n: 10, cur: 7, prev: 3}
	x.roll(11)
	if x.prev != 7 || x.cur != 0 {
		t.Fatalf("roll by one: %+v", x)
	}
	x.add(10, -2) // a correction for the previous window
	x.add(11, 4)
	x.add(9, 100) // out of view: ignored
	if x.prev != 5 || x.cur != 4 {
		t.Fatalf("corrections: %+v", x)
	}
	x.add(11, -10)
	if x.cur != 0 {
		t.Fatalf("negative count: %+v", x)
	}
	x.roll(20)
	if x.prev != 0 || x.cur != 0 || x.n != 20 {
		t.Fatalf("roll by many: %+v", x)
	}
}
