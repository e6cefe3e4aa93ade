// Package ops is the runtime every BurnCloud service shares: logging,
// metrics registry, health and readiness endpoints, profiling and graceful
// HTTP serving.
package ops

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"
)

// ErrLogLevel is returned for a level name zap does not know.
var ErrLogLevel = errors.New("unknown log level")

// NewLogger builds a logger writing to w at the given level (debug, info,
// warn, error; empty means info). JSON lines by default; console text for a
// person at a terminal.
func NewLogger(level string, w io.Writer, console bool) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrLogLevel, level)
	}
	var enc zapcore.Encoder
	if console {
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeLevel = zapcore.CapitalColorLevelEncoder
		ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(ec)
	} else {
		ec := zap.NewProductionEncoderConfig()
		ec.TimeKey = "time"
		ec.EncodeTime = zapcore.RFC3339NanoTimeEncoder
		enc = zapcore.NewJSONEncoder(ec)
	}
	out := zapcore.Lock(zapcore.AddSync(w))
	core := zapcore.NewCore(enc, out, lvl)
	// Stack traces only for programming errors: an upstream failing is an
	// error worth logging but not worth a trace on every line.
	return zap.New(core, zap.AddCaller(), zap.ErrorOutput(out), zap.AddStacktrace(zapcore.DPanicLevel)), nil
}

// NewBufferedLogger is NewLogger writing through a buffer of 256 KiB that
// is flushed every interval, when full, and by stop (call it before exit).
// A service that logs every request then makes one write per interval
// instead of one per line; lines of the last interval are lost if the
// process is killed.
func NewBufferedLogger(level string, w io.Writer, console bool, interval time.Duration) (logger *zap.Logger, stop func() error, err error) {
	ws := &zapcore.BufferedWriteSyncer{WS: zapcore.AddSync(w), Size: 256 << 10, FlushInterval: interval}
	logger, err = NewLogger(level, ws, console)
	if err != nil {
		return nil, nil, err
	}
	return logger, ws.Stop, nil
}

// IsTerminal reports whether f is an interactive terminal.
func IsTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}
