// Package validate checks BurnCloud's deployment files offline: it lints and
// renders the Helm chart in-process, decodes every rendered object strictly
// into the Kubernetes API types, loads docker-compose.yaml with the
// compose-spec loader, and checks that the alert rules and the Grafana
// dashboard use only metrics catalogued in docs/metrics.md.
//
// The module lives outside the Go workspace so that Helm's and Kubernetes'
// dependencies never unify with the services'. Run its tests with GOWORK=off.
package validate
