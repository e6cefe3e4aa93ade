package fakeupstream

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTimingStamp(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		name, path, body string
		min              time.Duration
	}{
		{"chat", "/s/timing,body=1kb/v1/chat/completions", chatBody, 0},
		{"chat after latency", "/s/timing,latency=30ms/v1/chat/completions", chatBody, 30 * time.Millisecond},
		{"text completion", "/s/timing/v1/completions", `{"model":"m","prompt":"say hi"}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			began := time.Now()
			status, _, body := post(t, ts, tt.path, tt.body)
			took := time.Since(began)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			d, ok := ServiceTime(body)
			if !ok {
				t.Fatalf("no stamp in %s", body)
			}
			if d < tt.min || d > took {
				t.Errorf("service time %v, want within [%v, %v]", d, tt.min, took)
			}
			var c struct {
				Fingerprint string `json:"system_fingerprint"`
			}
			mustJSON(t, body, &c)
			if len(c.Fingerprint) != len("fp_fake_t")+12 {
				t.Errorf("fingerprint %q: the body's length must not depend on the time", c.Fingerprint)
			}
		})
	}
}

func TestTimingOnlyWhenAsked(t *testing.T) {
	_, ts := newFake(t, Options{})
	for _, tt := range []struct{ name, path, body string }{
		{"plain chat", "/v1/chat/completions", chatBody},
		{"stream", "/s/timing/v1/chat/completions", strings.TrimSuffix(chatBody, "}") + `,"stream":true}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, ts, tt.path, tt.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if _, ok := ServiceTime(body); ok {
				t.Errorf("stamp found in %s", body)
			}
			if !strings.Contains(string(body), `"system_fingerprint":"fp_fake"`) {
				t.Errorf("fingerprint changed: %s", body)
			}
		})
	}
}

func TestServiceTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{`{"id":"x","system_fingerprint":"fp_fake_t000020104311","choices":[]}`, 20104311, true},
		{`"system_fingerprint":"fp_fake_t000000000000"`, 0, true},
		{`"system_fingerprint":"fp_fake_t999999999999"`, 999999999999, true},
		{`"system_fingerprint":"fp_fake"`, 0, false},
		{`"system_fingerprint":"fp_fake_t00002010431"`, 0, false},   // one digit short
		{`"system_fingerprint":"fp_fake_t0000201043110"`, 0, false}, // one too many
		{`"system_fingerprint":"fp_fake_t00002010x311"`, 0, false},
		{`"system_fingerprint":"fp_fake_t000020104311`, 0, false}, // cut before the quote
		{``, 0, false},
	}
	for _, tt := range tests {
		got, ok := ServiceTime([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("ServiceTime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPutStamp(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "000000"},
		{-5, "000000"},
		{4711, "004711"},
		{999999, "999999"},
		{1000000, "999999"}, // saturates
	}
	for _, tt := range tests {
		dst := []byte("xxxxxx")
		putStamp(dst, tt.d)
		if string(dst) != tt.want {
			t.Errorf("putStamp(%d) = %s, want %s", tt.d, dst, tt.want)
		}
	}
}

func FuzzServiceTime(f *testing.F) {
	f.Add([]byte(`"system_fingerprint":"fp_fake_t000020104311"`))
	f.Add([]byte(`"system_fingerprint":"fp_fake_t`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, ok := ServiceTime(body)
		if !ok {
			return
		}
		if d < 0 || d > 999999999999 {
			t.Fatalf("service time %v out of range", d)
		}
		stamp := make([]byte, len(stampZeros))
		putStamp(stamp, d)
		if again, _ := ServiceTime([]byte(`"system_fingerprint":"fp_fake_t` + string(stamp) + `"`)); again != d {
			t.Fatalf("round trip %v -> %s -> %v", d, stamp, again)
		}
	})
}
