package ops

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestNewLoggerLevels(t *testing.T) {
	tests := []struct {
		level     string
		wantErr   bool
		debugSeen bool
		infoSeen  bool
	}{
		{level: "debug", debugSeen: true, infoSeen: true},
		{level: "info", infoSeen: true},
		{level: "", infoSeen: true},
		{level: "WARN"},
		{level: "error"},
		{level: "verbose", wantErr: true},
		{level: "trace", wantErr: true},
		{level: "0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := NewLogger(tt.level, &buf, false)
			if tt.wantErr {
				if !errors.Is(err, ErrLogLevel) {
					t.Fatalf("NewLogger(%q) err = %v, want ErrLogLevel", tt.level, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewLogger(%q): %v", tt.level, err)
			}
			log.Debug("dbg-line")
			log.Info("info-line")
			log.Error("error-line")
			out := buf.String()
			if got := strings.Contains(out, "dbg-line"); got != tt.debugSeen {
				t.Errorf("debug written = %v, want %v", got, tt.debugSeen)
			}
			if got := strings.Contains(out, "info-line"); got != tt.infoSeen {
				t.Errorf("info written = %v, want %v", got, tt.infoSeen)
			}
			if !strings.Contains(out, "error-line") {
				t.Error("error line missing")
			}
		})
	}
}

func TestNewLoggerJSON(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger("info", &buf, false)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello", zap.String("router_id", "r1"))
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil {
		t.Fatalf("not JSON: %q: %v", buf.String(), err)
	}
	for key, want := range map[string]string{"level": "info", "msg": "hello", "router_id": "r1"} {
		if line[key] != want {
			t.Errorf("%s = %v, want %q", key, line[key], want)
		}
	}
	if _, ok := line["time"].(string); !ok {
		t.Errorf("time missing or not a string: %v", line["time"])
	}
}

func TestNewLoggerConsole(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger("info", &buf, true)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello")
	out := buf.String()
	if json.Valid(bytes.TrimSpace(buf.Bytes())) {
		t.Errorf("console output is JSON: %q", out)
	}
	if !strings.Contains(out, "INFO") || !strings.Contains(out, "hello") {
		t.Errorf("console output = %q", out)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
	if IsTerminal(nil) {
		t.Error("nil is not a terminal")
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { null.Close() })
	if IsTerminal(null) {
		t.Error("the null device is a character device but not a terminal")
	}
}

func TestBufferedLoggerWritesOnFlush(t *testing.T) {
	// A file: the flusher goroutine may write while the test reads.
	out, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = out.Close() })
	written := func() string {
		b, err := os.ReadFile(out.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	logger, stop, err := NewBufferedLogger("info", out, false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("request", zap.String("request_id", "r1"))
	if got := written(); got != "" {
		t.Fatalf("written before a flush: %q", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := written(); !strings.Contains(got, `"request_id":"r1"`) {
		t.Fatalf("after stop: %q", got)
	}
	if _, _, err := NewBufferedLogger("loud", out, false, time.Second); !errors.Is(err, ErrLogLevel) {
		t.Fatalf("bad level: %v", err)
	}
}
