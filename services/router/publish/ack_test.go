package publish

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestParseAck(t *testing.T) {
	status := func(code, descr string) nats.Header {
		return nats.Header{statusHeader: []string{code}, descriptionHeader: []string{descr}}
	}
	tests := []struct {
		name   string
		data   string
		header nats.Header
		want   string
		err    error
	}{
		{"stored", `{"stream":"BURNCLOUD_USAGE","seq":42}`, nil, resultStored, nil},
		{"stored with domain", `{"stream":"U","domain":"hub","seq":7}` + "\n", nil, resultStored, nil},
		{"duplicate", `{"stream":"U","seq":42,"duplicate":true}`, nil, resultDuplicate, nil},
		{"as the server spaces it", `{"stream":"U", "seq":1,"duplicate": true}`, nil, resultDuplicate, nil},
		{"a stream named like a key", `{"stream":"duplicate", "seq":1}`, nil, resultStored, nil},
		{"refused, spaced", `{"error": {"code":503}}`, nil, "", errPubAckRefuse},
		{"not a duplicate", `{"stream":"U","seq":42,"duplicate":false}`, nil, resultStored, nil},
		{"refused", `{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}`, nil, "", errPubAckRefuse},
		{"no stream", "", status("503", ""), "", errNoStream},
		{"other status", "", status("408", "Request Timeout"), "", errPubAckRefuse},
		{"empty", "", nil, "", errBadAck},
		{"not JSON", "+OK", nil, "", errBadAck},
		{"no sequence", `{"stream":"U"}`, nil, "", errBadAck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAck(&nats.Msg{Data: []byte(tt.data), Header: tt.header})
			if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("parseAck = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestAckedID(t *testing.T) {
	p := &Publisher{inbox: "_INBOX.abc"}
	tests := []struct {
		subject string
		id      uint64
		ok      bool
	}{
		{p.replyTo(0), 0, true},
		{p.replyTo(18446744073709551615), 18446744073709551615, true},
		{"_INBOX.abc.", 0, false},
		{"_INBOX.abc", 0, false},
		{"_INBOX.abcd.5", 0, false},
		{"_INBOX.xyz.5", 0, false},
		{"_INBOX.abc.5.6", 0, false},
		{"_INBOX.abc.-1", 0, false},
	}
	for _, tt := range tests {
		if id, ok := p.ackedID(tt.subject); id != tt.id || ok != tt.ok {
			t.Errorf("ackedID(%q) = %d, %v; want %d, %v", tt.subject, id, ok, tt.id, tt.ok)
		}
	}
}

// FuzzParseAck: any reply is either a result or an error, never both, and
// a stored or duplicate result names a sequence.
func FuzzParseAck(f *testing.F) {
	f.Add([]byte(`{"stream":"U","seq":1}`), "")
	f.Add([]byte(`{"error":{"code":400}}`), "")
	f.Add([]byte(""), "503")
	f.Fuzz(func(t *testing.T, data []byte, status string) {
		msg := &nats.Msg{Data: data}
		if status != "" {
			msg.Header = nats.Header{statusHeader: []string{status}}
		}
		got, err := parseAck(msg)
		if (got == "") == (err == nil) {
			t.Fatalf("parseAck(%q, %q) = %q, %v", data, status, got, err)
		}
		if err == nil && (got != resultStored && got != resultDuplicate) {
			t.Fatalf("result %q", got)
		}
	})
}
