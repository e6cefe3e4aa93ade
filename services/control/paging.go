package control

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/burncloud/burncloud/pkg/store"
)

// AIP-158 pagination. A page token is the base64 of the last key returned;
// it is opaque to callers and means nothing but "after this key".
const (
	defaultPageSize = 50
	maxListPageSize = 1000
)

// pageRequest turns page_size and page_token into a store page that asks for
// one item more than the caller wants, to learn whether another page exists.
func pageRequest(size int32, token string, max int) (store.Page, int, error) {
	n := int(size)
	switch {
	case n <= 0:
		n = defaultPageSize
	case n > max:
		n = max
	}
	after, err := decodePageToken(token)
	if err != nil {
		return store.Page{}, 0, err
	}
	return store.Page{Size: n + 1, After: after}, n, nil
}

func decodePageToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) == 0 || !utf8.Valid(b) {
		return "", invalidArgument("page_token is not a token this service returned")
	}
	return string(b), nil
}

func encodePageToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// trimPage cuts items to the wanted size and returns the token of the next
// page ("" on the last page).
func trimPage[T any](items []T, want int, key func(T) string) ([]T, string) {
	if len(items) <= want {
		return items, ""
	}
	items = items[:want]
	return items, encodePageToken(key(items[want-1]))
}
