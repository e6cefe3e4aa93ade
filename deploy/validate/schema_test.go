package validate

import (
	"strings"
	"testing"
)

// values.schema.json refuses bad values before anything renders.
func TestSchemaRejectsBadValues(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   string // a fragment of the error
	}{
		{"unknown top-level key", map[string]any{"replicas": 3}, "replicas"},
		{"unknown nested key", map[string]any{"router": map[string]any{"replica": 3}}, "replica"},
		{"log level", map[string]any{"logLevel": "verbose"}, "logLevel"},
		{"database scheme", map[string]any{"database": map[string]any{"url": "mysql://db/burncloud"}}, "url"},
		{"nats scheme", map[string]any{"nats": map[string]any{"url": "http://nats:4222"}}, "url"},
		{"redis scheme", map[string]any{"redis": map[string]any{"url": "memcached://cache:11211"}}, "url"},
		{"short master secret", map[string]any{"secrets": map[string]any{"masterSecret": "short"}}, "masterSecret"},
		{"short internal token", map[string]any{"secrets": map[string]any{"internalToken": "short"}}, "internalToken"},
		{"duration", map[string]any{"router": map[string]any{"upstream": map[string]any{"idleTimeout": "2 minutes"}}}, "idleTimeout"},
		{"duration without unit", map[string]any{"billing": map[string]any{"ackWait": "30"}}, "ackWait"},
		{"max attempts", map[string]any{"router": map[string]any{"maxAttempts": 21}}, "maxAttempts"},
		{"zero attempts", map[string]any{"router": map[string]any{"maxAttempts": 0}}, "maxAttempts"},
		{"body bytes type", map[string]any{"router": map[string]any{"maxBodyBytes": "32MiB"}}, "maxBodyBytes"},
		{"port range", map[string]any{"router": map[string]any{"port": 70000}}, "port"},
		{"drain zero", map[string]any{"router": map[string]any{"shutdown": map[string]any{"drainTimeoutSeconds": 0}}}, "drainTimeoutSeconds"},
		{"limits fallback", map[string]any{"router": map[string]any{"limits": map[string]any{"fallback": "ignore"}}}, "fallback"},
		{"fleet size", map[string]any{"router": map[string]any{"fleetSize": -1}}, "fleetSize"},
		{"batch size", map[string]any{"billing": map[string]any{"batchSize": 20000}}, "batchSize"},
		{"max deliver", map[string]any{"billing": map[string]any{"maxDeliver": 1}}, "maxDeliver"},
		{"usage replicas", map[string]any{"control": map[string]any{"usageStream": map[string]any{"replicas": 7}}}, "replicas"},
		{"usage max bytes", map[string]any{"control": map[string]any{"usageStream": map[string]any{"maxBytes": 0}}}, "maxBytes"},
		{"page size", map[string]any{"control": map[string]any{"snapshotPageSize": 0}}, "snapshotPageSize"},
		{"hpa bounds type", map[string]any{"router": map[string]any{"autoscaling": map[string]any{"minReplicas": "two"}}}, "minReplicas"},
		{"pdb percentage", map[string]any{"router": map[string]any{"pdb": map[string]any{"minAvailable": "half"}}}, "minAvailable"},
		{"service type", map[string]any{"router": map[string]any{"service": map[string]any{"type": "Public"}}}, "type"},
		{"pull policy", map[string]any{"image": map[string]any{"pullPolicy": "Sometimes"}}, "pullPolicy"},
		{"image digest", map[string]any{"image": map[string]any{"digest": "latest"}}, "digest"},
		{"bootstrap file type", map[string]any{"control": map[string]any{"bootstrap": map[string]any{"file": 3}}}, "file"},
		{"network peer list", map[string]any{"networkPolicy": map[string]any{"nats": map[string]any{"to": "nats"}}}, "to"},
		{"dns ports empty", map[string]any{"networkPolicy": map[string]any{"dns": map[string]any{"ports": []any{}}}}, "ports"},
		{"internet cidr", map[string]any{"networkPolicy": map[string]any{"internet": []any{map[string]any{"cidr": "everywhere"}}}}, "cidr"},
		{"ack pending below batch", map[string]any{"billing": map[string]any{"batchSize": 5000, "maxAckPending": 1000}}, "maxAckPending"},
		{"hpa max below min", map[string]any{"router": map[string]any{"autoscaling": map[string]any{"minReplicas": 5, "maxReplicas": 3}}}, "maxReplicas"},
		{"bootstrap without file", map[string]any{"control": map[string]any{"bootstrap": map[string]any{"enabled": true}}}, "bootstrap"},
		{"url and existing secret", map[string]any{"redis": map[string]any{"url": "redis://r:6379", "existingSecret": "r"}}, "redis"},
		{"secret key empty", map[string]any{"database": map[string]any{"existingSecret": "db", "existingSecretKey": ""}}, "existingSecretKey"},
	}
	dec := testDecoder(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(chartDir, tt.values, dec)
			if err == nil {
				t.Fatalf("values %v rendered", tt.values)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

// The same checks let good values through.
func TestSchemaAcceptsGoodValues(t *testing.T) {
	tests := []map[string]any{
		{"database": map[string]any{"url": "postgresql://u:p@db:5432/burncloud?sslmode=require"}},
		{"nats": map[string]any{"url": "tls://nats:4222"}},
		{"redis": map[string]any{"url": "rediss://:p@redis:6380/1"}},
		{"router": map[string]any{"upstream": map[string]any{"totalTimeout": "1h30m"}}},
		{"billing": map[string]any{"requestLogRetention": "0s"}},
		{"control": map[string]any{"usageStream": map[string]any{"maxBytes": -1}}},
		{"control": map[string]any{"bootstrap": map[string]any{"enabled": true, "file": "channels: []\n"}}},
		{"router": map[string]any{"pdb": map[string]any{"enabled": true, "minAvailable": "50%"}}},
	}
	dec := testDecoder(t)
	for _, vals := range tests {
		if _, err := Render(chartDir, vals, dec); err != nil {
			t.Errorf("values %v: %v", vals, err)
		}
	}
}
