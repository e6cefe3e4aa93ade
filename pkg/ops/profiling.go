package ops

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/grafana/pyroscope-go"
	"go.uber.org/zap"
)

// ErrProfilingURL is returned for a Pyroscope URL that is not http(s).
var ErrProfilingURL = errors.New("invalid pyroscope URL")

// ProfilingConfig says where continuous profiles go.
type ProfilingConfig struct {
	// URL of the Pyroscope server; empty disables profiling. User info in
	// the URL is sent as basic auth (as Grafana Cloud expects).
	URL     string
	AppName string            // e.g. "burncloud-router"
	Tags    map[string]string // static tags, e.g. {"instance": routerID}
	// UploadRate is how often profiles are sent; zero keeps the library's
	// default (15s).
	UploadRate time.Duration
}

// StartProfiling starts pushing CPU, heap and goroutine profiles. The
// returned stop uploads what is pending and ends the session. With an
// empty URL it does nothing and stop is a no-op.
func StartProfiling(cfg ProfilingConfig, logger *zap.Logger) (stop func() error, err error) {
	if cfg.URL == "" {
		return func() error { return nil }, nil
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL may carry credentials, so it is not echoed.
		return nil, fmt.Errorf("%w: want http(s)://host[:port]", ErrProfilingURL)
	}
	var user, password string
	if u.User != nil {
		user = u.User.Username()
		password, _ = u.User.Password()
		u.User = nil
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	p, err := pyroscope.Start(pyroscope.Config{
		ApplicationName:   cfg.AppName,
		Tags:              cfg.Tags,
		ServerAddress:     u.String(),
		BasicAuthUser:     user,
		BasicAuthPassword: password,
		UploadRate:        cfg.UploadRate,
		Logger:            pyroscopeLogger{logger.Named("pyroscope").Sugar()},
		// Bounded, so that a stalled profiling server cannot hold up shutdown
		// for long when stop flushes.
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		// Mutex and block profiles would need process-wide sampling rates
		// set; they are left off.
		ProfileTypes: []pyroscope.ProfileType{
			pyroscope.ProfileCPU,
			pyroscope.ProfileAllocObjects,
			pyroscope.ProfileAllocSpace,
			pyroscope.ProfileInuseObjects,
			pyroscope.ProfileInuseSpace,
			pyroscope.ProfileGoroutines,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("start pyroscope: %w", err)
	}
	return func() error {
		// Stop alone drops the current period; flush it first.
		p.Flush(true)
		return p.Stop()
	}, nil
}

// pyroscopeLogger adapts zap to the logger interface pyroscope expects.
type pyroscopeLogger struct{ s *zap.SugaredLogger }

func (l pyroscopeLogger) Infof(format string, args ...any)  { l.s.Infof(format, args...) }
func (l pyroscopeLogger) Debugf(format string, args ...any) { l.s.Debugf(format, args...) }
func (l pyroscopeLogger) Errorf(format string, args ...any) { l.s.Errorf(format, args...) }
