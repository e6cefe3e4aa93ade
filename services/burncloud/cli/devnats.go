package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// embeddedNATS is the dev gateway's own NATS server with JetStream on disk.
// It listens on a random loopback port so `burncloud audit` can read the
// stream; the gateway's own parts connect in process.
type embeddedNATS struct {
	srv *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream
}

// natsStartTimeout bounds JetStream's recovery of its store at start.
const natsStartTimeout = 30 * time.Second

func startNATS(dataDir string, log *zap.Logger) (*embeddedNATS, error) {
	srv, err := server.NewServer(&server.Options{
		ServerName: "burncloud-dev",
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "nats"),
		NoSigs:     true, // the gateway owns the signals
	})
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	srv.SetLoggerV2(natsLogger{log.Named("nats").Sugar()}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(natsStartTimeout) {
		srv.Shutdown()
		return nil, errors.New("nats: server not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("burncloud-dev"), nats.MaxReconnects(-1))
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("nats: connect: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		srv.Shutdown()
		return nil, fmt.Errorf("nats: %w", err)
	}
	return &embeddedNATS{srv: srv, nc: nc, js: js}, nil
}

// URL is where processes outside the gateway reach the server.
func (n *embeddedNATS) URL() string { return n.srv.ClientURL() }

// Close stops the server, which flushes JetStream's store. Call it after
// the publisher and billing stopped using the connection.
func (n *embeddedNATS) Close() {
	n.nc.Close()
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}

// natsLogger routes the server's log through zap. Its notices (the start
// banner, JetStream's recovery) are debug-level noise for a dev gateway.
type natsLogger struct{ s *zap.SugaredLogger }

func (l natsLogger) Noticef(format string, v ...any) { l.s.Debugf(format, v...) }
func (l natsLogger) Warnf(format string, v ...any)   { l.s.Warnf(format, v...) }
func (l natsLogger) Fatalf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l natsLogger) Errorf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l natsLogger) Debugf(format string, v ...any)  { l.s.Debugf(format, v...) }
func (l natsLogger) Tracef(format string, v ...any)  { l.s.Debugf(format, v...) }
