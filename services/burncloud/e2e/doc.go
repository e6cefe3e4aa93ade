// Package e2e drives the real binaries — burncloud-control, burncloud-router
// and burncloud-billing — with the official SDKs as clients, against the fake
// upstream, a private NATS server and a fresh Postgres database per test.
package e2e
