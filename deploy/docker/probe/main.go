// Command burncloud-probe is the health check of BurnCloud's containers,
// whose distroless image has no shell, curl or wget:
//
//	burncloud-probe http://127.0.0.1:8081/readyz   # healthy on a 2xx answer
//	burncloud-probe tcp://127.0.0.1:9000           # healthy when it accepts a connection
//
// It exits 0 when healthy and 1 otherwise, with the reason on stderr.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// ErrUnhealthy is returned for a target that answered but not with success.
var ErrUnhealthy = errors.New("unhealthy")

// ErrUsage is returned for a command line that names no valid target.
var ErrUsage = errors.New("usage: burncloud-probe http://HOST:PORT/PATH | tcp://HOST:PORT")

const timeout = 3 * time.Second

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	err := run(ctx, os.Args[1:])
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "burncloud-probe:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return ErrUsage
	}
	return check(ctx, args[0])
}

// check probes one target: an http(s) URL must answer 2xx to GET, a tcp URL
// must accept a connection.
func check(ctx context.Context, target string) error {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: %q", ErrUsage, target)
	}
	switch u.Scheme {
	case "http", "https":
		return checkHTTP(ctx, u.String())
	case "tcp":
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return err
		}
		return conn.Close()
	default:
		return fmt.Errorf("%w: scheme %q", ErrUsage, u.Scheme)
	}
}

func checkHTTP(ctx context.Context, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	// The body says why a service is not ready; keep a little of it.
	body, _ := io.ReadAll(io.LimitReader(res.Body, 256))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("%w: %s answered %d: %s", ErrUnhealthy, target, res.StatusCode, body)
	}
	return nil
}
