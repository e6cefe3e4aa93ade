package validate

import (
	"os"
	"regexp"
	"sort"
)

// envVarRE matches a BURNCLOUD_* name written as a Go string literal.
var envVarRE = regexp.MustCompile(`"(BURNCLOUD_[A-Z0-9_]*[A-Z0-9])"`)

// ConfigEnvVars lists the BURNCLOUD_* variables a service's config.go names,
// sorted and without repeats.
func ConfigEnvVars(path string) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return envVarNames(src), nil
}

func envVarNames(src []byte) []string {
	seen := map[string]bool{}
	var names []string
	for _, m := range envVarRE.FindAllSubmatch(src, -1) {
		n := string(m[1])
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
