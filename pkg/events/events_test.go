package events

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr []string
	}{
		{name: "zero value is production", opts: Options{}},
		{name: "explicit limits", opts: Options{Prefix: "T1_", MaxAge: time.Hour, MaxBytes: 1 << 20, Replicas: 3}},
		{name: "unlimited bytes", opts: Options{MaxBytes: -1}},
		{name: "negative age", opts: Options{MaxAge: -time.Second}, wantErr: []string{"max age"}},
		{name: "bad bytes", opts: Options{MaxBytes: -2}, wantErr: []string{"max bytes"}},
		{name: "too many replicas", opts: Options{Replicas: 7}, wantErr: []string{"replicas"}},
		{name: "dotted prefix", opts: Options{Prefix: "a.b"}, wantErr: []string{"prefix"}},
		{name: "everything at once", opts: Options{Prefix: "x>", MaxAge: -1, MaxBytes: -5, Replicas: -1},
			wantErr: []string{"prefix", "max age", "max bytes", "replicas"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrOptions) {
				t.Fatalf("Validate() = %v, want ErrOptions", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want mention of %q", err, w)
				}
			}
		})
	}
}

func TestStreamConfigs(t *testing.T) {
	u := UsageStreamConfig(Options{})
	if u.Name != StreamUsage || len(u.Subjects) != 1 || u.Subjects[0] != SubjectsUsage {
		t.Errorf("usage stream = %s %v", u.Name, u.Subjects)
	}
	if u.Storage != jetstream.FileStorage || u.Retention != jetstream.LimitsPolicy || u.Discard != jetstream.DiscardNew {
		t.Errorf("usage stream policies = %v %v %v", u.Storage, u.Retention, u.Discard)
	}
	if u.MaxAge != DefaultMaxAge || u.MaxBytes != DefaultMaxBytes || u.Replicas != 1 {
		t.Errorf("usage stream limits = %s %d %d", u.MaxAge, u.MaxBytes, u.Replicas)
	}
	d := DLQStreamConfig(Options{Replicas: 3})
	if d.Name != StreamDLQ || d.Subjects[0] != SubjectDLQ || d.Replicas != 3 {
		t.Errorf("dlq stream = %s %v %d", d.Name, d.Subjects, d.Replicas)
	}
	o := Options{Prefix: "T9_"}
	if got := o.UsageSubject("r1"); got != "T9_burncloud.usage.v1.r1" {
		t.Errorf("UsageSubject = %q", got)
	}
	if got := (Options{}).UsageSubject("r1"); got != SubjectPrefix+"r1" {
		t.Errorf("UsageSubject = %q", got)
	}
}

func natsURL() string {
	if u := os.Getenv("BURNCLOUD_NATS_URL"); u != "" {
		return u
	}
	return nats.DefaultURL
}

// TestEnsureStreams runs against the machine's NATS server under a prefix of
// its own, so it never touches the real streams.
func TestEnsureStreams(t *testing.T) {
	nc, err := nats.Connect(natsURL())
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	o := Options{Prefix: fmt.Sprintf("T%d_", time.Now().UnixNano()), MaxAge: time.Hour, MaxBytes: 1 << 20}
	t.Cleanup(func() {
		_ = js.DeleteStream(context.Background(), o.UsageStream())
		_ = js.DeleteStream(context.Background(), o.DLQStream())
	})
	if err := EnsureStreams(ctx, js, o); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	// A second run with changed limits updates in place.
	o.MaxAge = 2 * time.Hour
	if err := EnsureStreams(ctx, js, o); err != nil {
		t.Fatalf("EnsureStreams again: %v", err)
	}
	s, err := js.Stream(ctx, o.UsageStream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.MaxAge != 2*time.Hour || info.Config.MaxBytes != 1<<20 || info.Config.Discard != jetstream.DiscardNew {
		t.Errorf("stream config = age %s bytes %d discard %v", info.Config.MaxAge, info.Config.MaxBytes, info.Config.Discard)
	}
	ack, err := js.Publish(ctx, o.UsageSubject("router-a"), []byte("event"))
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if ack.Stream != o.UsageStream() {
		t.Errorf("event landed in %q", ack.Stream)
	}
	ack, err = js.Publish(ctx, o.DLQSubject(), []byte("bad event"))
	if err != nil {
		t.Fatalf("publish to DLQ: %v", err)
	}
	if ack.Stream != o.DLQStream() {
		t.Errorf("dead letter landed in %q", ack.Stream)
	}

	if err := EnsureStreams(ctx, js, Options{Replicas: 9}); !errors.Is(err, ErrOptions) {
		t.Errorf("EnsureStreams(bad) = %v, want ErrOptions", err)
	}
}
