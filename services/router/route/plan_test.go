package route

import (
	"math"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"

	"github.com/burncloud/burncloud/services/router/snapshot"
)

func ch(name string, weight int32, keys ...string) *snapshot.Channel {
	c := &snapshot.Channel{Name: name, Weight: weight}
	for _, k := range keys {
		c.Keys = append(c.Keys, snapshot.Key{ID: k, Secret: "secret-" + k})
	}
	return c
}

func tiers(groups ...[]*snapshot.Channel) []snapshot.Tier {
	var out []snapshot.Tier
	for i, g := range groups {
		t := snapshot.Tier{Priority: int32(100 - i), Channels: g}
		for _, c := range g {
			t.TotalWeight += int64(c.Weight)
		}
		out = append(out, t)
	}
	return out
}

// drain runs a plan to the end, failing every attempt with o.
func drain(p *Plan, o Outcome) []string {
	var seen []string
	prev := Succeeded
	for {
		a, ok := p.Next(prev)
		if !ok {
			return seen
		}
		seen = append(seen, a.Channel.Name+"/"+a.Key.ID)
		a.Done(o, 0)
		prev = o
	}
}

func TestPlanOrder(t *testing.T) {
	h := NewHealth(Options{FailureThreshold: 100})
	ts := tiers(
		[]*snapshot.Channel{ch("a", 1, "k"), ch("b", 1, "k")},
		[]*snapshot.Channel{ch("c", 1, "k")},
	)
	for range 20 {
		p := h.Plan(ts, nil)
		seen := drain(&p, Failed)
		if len(seen) != 3 || seen[2] != "c/k" || seen[0] == seen[1] {
			t.Fatalf("attempts = %v", seen)
		}
	}
}

func TestPlanWeights(t *testing.T) {
	h := NewHealth(Options{})
	ts := tiers([]*snapshot.Channel{ch("light", 1, "k"), ch("heavy", 3, "k")})
	const n = 8000
	heavy := 0
	for range n {
		p := h.Plan(ts, nil)
		a, ok := p.Next(Succeeded)
		if !ok {
			t.Fatal("no attempt")
		}
		if a.Channel.Name == "heavy" {
			heavy++
		}
		a.Done(Succeeded, 0)
	}
	if frac := float64(heavy) / n; math.Abs(frac-0.75) > 0.03 {
		t.Errorf("heavy chosen %.3f of the time, want 0.75", frac)
	}
}

func TestPlanAccept(t *testing.T) {
	h := NewHealth(Options{})
	ts := tiers([]*snapshot.Channel{ch("x", 1, "k"), ch("y", 1, "k")})
	p := h.Plan(ts, func(c *snapshot.Channel) bool { return c.Name == "y" })
	if seen := drain(&p, Failed); len(seen) != 1 || seen[0] != "y/k" {
		t.Errorf("attempts = %v", seen)
	}
	var zero Plan
	if _, ok := zero.Next(Succeeded); ok {
		t.Error("zero plan yielded an attempt")
	}
}

func TestRateLimitTriesOtherKeyThenRests(t *testing.T) {
	h := NewHealth(Options{RateLimitCooldown: time.Hour})
	ts := tiers([]*snapshot.Channel{ch("a", 1, "k1", "k2")}, []*snapshot.Channel{ch("b", 1, "k")})
	p := h.Plan(ts, nil)
	seen := drain(&p, RateLimited)
	if len(seen) != 3 || seen[0][:2] != "a/" || seen[1][:2] != "a/" || seen[0] == seen[1] || seen[2] != "b/k" {
		t.Fatalf("attempts = %v, want both keys of a, then b", seen)
	}
	// Every key rests now.
	p = h.Plan(ts, nil)
	if seen := drain(&p, Succeeded); len(seen) != 0 {
		t.Fatalf("resting keys were tried: %v", seen)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	h := NewHealth(Options{RateLimitCooldown: time.Hour})
	ts := tiers([]*snapshot.Channel{ch("a", 1, "k")})
	p := h.Plan(ts, nil)
	a, _ := p.Next(Succeeded)
	a.Done(RateLimited, 30*time.Millisecond)
	p = h.Plan(ts, nil)
	if _, ok := p.Next(Succeeded); ok {
		t.Fatal("key used during its Retry-After")
	}
	time.Sleep(40 * time.Millisecond)
	p = h.Plan(ts, nil)
	a, ok := p.Next(Succeeded)
	if !ok {
		t.Fatal("key still resting after its Retry-After")
	}
	a.Done(Succeeded, 0)

	// Retry-After is capped.
	h = NewHealth(Options{MaxCooldown: 20 * time.Millisecond})
	p = h.Plan(ts, nil)
	a, _ = p.Next(Succeeded)
	a.Done(RateLimited, time.Hour)
	time.Sleep(30 * time.Millisecond)
	p = h.Plan(ts, nil)
	if _, ok := p.Next(Succeeded); !ok {
		t.Fatal("Retry-After not capped")
	}
}

func TestRefusedKeyRests(t *testing.T) {
	h := NewHealth(Options{AuthCooldown: time.Hour})
	ts := tiers([]*snapshot.Channel{ch("a", 1, "bad", "good")})
	for range 10 {
		p := h.Plan(ts, nil)
		a, ok := p.Next(Succeeded)
		if !ok {
			t.Fatal("no attempt")
		}
		if a.Key.ID == "bad" {
			a.Done(Refused, 0)
			if a, ok = p.Next(Refused); !ok || a.Key.ID != "good" {
				t.Fatalf("after a refusal: %v %v", a.Key.ID, ok)
			}
		}
		a.Done(Succeeded, 0)
	}
	p := h.Plan(ts, nil)
	for range 5 {
		a, ok := p.Next(Succeeded)
		if ok && a.Key.ID == "bad" {
			t.Fatal("refused key used while resting")
		}
		if ok {
			a.Done(Succeeded, 0)
		}
		p = h.Plan(ts, nil)
	}
}

func TestBreakerOpensAndProbes(t *testing.T) {
	var changes []string
	h := NewHealth(Options{FailureThreshold: 3, FailureWindow: 3, OpenDelay: 40 * time.Millisecond,
		OnStateChange: func(c, k string, s circuitbreaker.State) { changes = append(changes, c+"/"+k+":"+s.String()) }})
	ts := tiers([]*snapshot.Channel{ch("a", 1, "k")})
	for range 3 {
		p := h.Plan(ts, nil)
		a, ok := p.Next(Succeeded)
		if !ok {
			t.Fatal("breaker opened too early")
		}
		a.Done(Failed, 0)
	}
	if h.BreakerState("a", "") != circuitbreaker.OpenState {
		t.Fatalf("channel breaker %v, want open", h.BreakerState("a", ""))
	}
	p := h.Plan(ts, nil)
	if _, ok := p.Next(Succeeded); ok {
		t.Fatal("open breaker let an attempt through")
	}
	time.Sleep(50 * time.Millisecond)
	p = h.Plan(ts, nil)
	probe, ok := p.Next(Succeeded)
	if !ok {
		t.Fatal("no probe after the open delay")
	}
	p2 := h.Plan(ts, nil)
	if _, ok := p2.Next(Succeeded); ok {
		t.Fatal("a second probe while the first runs")
	}
	probe.Done(Succeeded, 0)
	if h.BreakerState("a", "") != circuitbreaker.ClosedState {
		t.Fatalf("breaker %v after a good probe", h.BreakerState("a", ""))
	}
	if len(changes) == 0 {
		t.Error("no state change reported")
	}
}

func TestReleaseDoesNotWedgeHalfOpen(t *testing.T) {
	h := NewHealth(Options{FailureThreshold: 1, FailureWindow: 1, OpenDelay: 10 * time.Millisecond})
	ts := tiers([]*snapshot.Channel{ch("a", 1, "k")})
	p := h.Plan(ts, nil)
	a, _ := p.Next(Succeeded)
	a.Done(Failed, 0)
	time.Sleep(15 * time.Millisecond)
	p = h.Plan(ts, nil)
	a, ok := p.Next(Succeeded)
	if !ok {
		t.Fatal("no probe")
	}
	a.Done(Abandoned, 0) // client left mid-probe
	time.Sleep(15 * time.Millisecond)
	p = h.Plan(ts, nil)
	if _, ok := p.Next(Succeeded); !ok {
		t.Fatal("breaker wedged after an abandoned probe")
	}
}

func BenchmarkPlanFirstAttempt(b *testing.B) {
	h := NewHealth(Options{})
	ts := tiers([]*snapshot.Channel{ch("a", 1, "k1", "k2"), ch("b", 2, "k")}, []*snapshot.Channel{ch("c", 1, "k")})
	b.ReportAllocs()
	for b.Loop() {
		p := h.Plan(ts, nil)
		a, ok := p.Next(Succeeded)
		if !ok {
			b.Fatal("no attempt")
		}
		a.Done(Succeeded, 0)
	}
}

func TestPlanLargeTier(t *testing.T) {
	h := NewHealth(Options{FailureThreshold: 100})
	var big []*snapshot.Channel
	for i := range 20 {
		big = append(big, ch(string(rune('a'+i)), int32(i%3), "k"))
	}
	ts := tiers(big, []*snapshot.Channel{ch("last", 1, "k")})
	p := h.Plan(ts, nil)
	seen := drain(&p, Failed)
	if len(seen) != 21 || seen[20] != "last/k" {
		t.Fatalf("attempts = %v", seen)
	}
	uniq := map[string]bool{}
	for _, s := range seen {
		uniq[s] = true
	}
	if len(uniq) != 21 {
		t.Errorf("a channel was tried twice: %v", seen)
	}
}

func TestHealthPrune(t *testing.T) {
	h := NewHealth(Options{})
	for _, ck := range [][2]string{{"a", ""}, {"a", "k1"}, {"a", "k2"}, {"b", ""}, {"b", "k1"}} {
		h.BreakerState(ck[0], ck[1]) // creates the state
	}
	live := map[string]map[string]bool{"a": {"k1": true}}
	channels, keys := h.Prune(func(channel, key string) bool {
		ks, ok := live[channel]
		return ok && (key == "" || ks[key])
	})
	if channels != 1 || keys != 1 {
		t.Fatalf("pruned %d channels and %d keys, want 1 and 1", channels, keys)
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if _, ok := h.channels["b"]; ok || len(h.channels["a"].keys) != 1 || h.channels["a"].keys["k1"] == nil {
		t.Fatalf("left %v", h.channels)
	}
}
