package config_test

import (
	"fmt"

	"github.com/burncloud/burncloud/pkg/config"
)

func ExampleSet() {
	type routerConfig struct {
		Addr, ControlURL, Secret string
	}
	env := config.MapLookup(map[string]string{
		"BURNCLOUD_ROUTER_ADDR": "localhost",
		"BURNCLOUD_CONTROL_URL": "https://control.internal:8081",
	})

	var c routerConfig
	fs := config.NewSet("burncloud-router", env)
	fs.Addr(&c.Addr, "addr", "BURNCLOUD_ROUTER_ADDR", ":8080", "listen address")
	fs.URL(&c.ControlURL, "control-url", "BURNCLOUD_CONTROL_URL", "http://127.0.0.1:8081", "control plane",
		config.Schemes("http", "https"))
	fs.String(&c.Secret, "secret", "BURNCLOUD_SECRET", "", "deployment master secret", config.Required, config.Secret)

	err := fs.Parse([]string{"--addr", ":9090"})
	fmt.Println(err)
	fmt.Println(c.Addr, c.ControlURL)
	// Output:
	// BURNCLOUD_SECRET (--secret): must be set
	// :9090 https://control.internal:8081
}
