package declarative

import (
	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

// File is a parsed and validated declarative file, as the admin API's
// messages. Fields the file leaves out hold their defaults.
type File struct {
	Groups   []*adminv1.Group
	Models   []*adminv1.Model
	Channels []Channel
	Users    []User
}

// Channel is one channel of a file.
type Channel struct {
	// Channel is the desired channel; its Keys and KeyInfo are empty.
	Channel *adminv1.Channel
	// Keys are the upstream keys in order. Nil when the file gives no
	// `keys`, which leaves the stored keys alone; empty (non-nil) for
	// `keys: []`, which removes them.
	Keys []string
}

// User is one user of a file with the tokens the file gives it.
type User struct {
	User   *adminv1.User
	Tokens []Token
}

// Token is one token of a user.
type Token struct {
	// Token has User and Name set; Prefix and Last4 are empty.
	Token *adminv1.Token
	// Key is the token's secret; "" generates one when the token is created
	// and leaves an existing token's secret alone.
	Key string
}

// Parse reads a declarative file, already ${VAR}-expanded. Unknown fields,
// fields given twice, values of the wrong type and every rule of the file's
// contract are checked at once; the error is then a *ValidationError listing
// every problem.
func Parse(doc []byte) (*File, error) {
	ps := newProblems()
	spec := decodeSpec(doc, ps)
	if len(ps.list) > 0 && len(spec.Channels)+len(spec.Models)+len(spec.Groups)+len(spec.Users) == 0 {
		return nil, ps.err() // nothing was decoded: the YAML itself is broken
	}
	f := convert(&spec, ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return f, nil
}
