package translate

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// The request translators walk the client's JSON member by member instead of
// decoding it into structs: every member must be either translated or refused
// by name, so an unknown field can never be dropped silently, and errors can
// say exactly where the problem is. The body is checked with json.Valid once;
// the walkers below then assume valid JSON.

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd is the index just past the JSON value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// stringEnd is the index just past the string whose quote is at b[i]. It
// jumps from quote to quote (images arrive as megabytes of base64) and
// counts the backslashes before each: an even number leaves it unescaped.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			break
		}
		j += k
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
	}
	return len(b)
}

// kind is the first byte of a value: '{', '[', '"', 'n' (null), 't', 'f',
// or a digit or '-' for numbers; 0 for nothing.
func kind(v []byte) byte {
	i := skipWS(v, 0)
	if i == len(v) {
		return 0
	}
	return v[i]
}

func isNull(v []byte) bool { return kind(v) == 'n' || kind(v) == 0 }

// members calls fn with each key and raw value of the object obj.
func members(obj []byte, path string, fn func(key string, val []byte) error) error {
	i := skipWS(obj, 0)
	if i == len(obj) || obj[i] != '{' {
		return invalid(path, "must be an object")
	}
	i = skipWS(obj, i+1)
	for i < len(obj) && obj[i] != '}' {
		ke := stringEnd(obj, i)
		key, err := decodeKey(obj[i:ke])
		if err != nil {
			return invalid(path, "bad key")
		}
		i = skipWS(obj, ke)
		i = skipWS(obj, i+1) // ':'
		ve := valueEnd(obj, i)
		if err := fn(key, obj[i:ve]); err != nil {
			return err
		}
		i = skipWS(obj, ve)
		if i < len(obj) && obj[i] == ',' {
			i = skipWS(obj, i+1)
		}
	}
	return nil
}

// elements calls fn with each element of the array arr.
func elements(arr []byte, path string, fn func(i int, val []byte) error) error {
	i := skipWS(arr, 0)
	if i == len(arr) || arr[i] != '[' {
		return invalid(path, "must be an array")
	}
	i = skipWS(arr, i+1)
	for n := 0; i < len(arr) && arr[i] != ']'; n++ {
		ve := valueEnd(arr, i)
		if err := fn(n, arr[i:ve]); err != nil {
			return err
		}
		i = skipWS(arr, ve)
		if i < len(arr) && arr[i] == ',' {
			i = skipWS(arr, i+1)
		}
	}
	return nil
}

// decodeKey unquotes a key; escapes and non-ASCII bytes go through
// encoding/json so invalid UTF-8 reads as it would there.
func decodeKey(q []byte) (string, error) {
	plain := len(q) >= 2
	for _, c := range q {
		if c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return string(q[1 : len(q)-1]), nil
	}
	var s string
	err := json.Unmarshal(q, &s)
	return s, err
}

func at(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func getString(v []byte, path string) (string, error) {
	v = bytes.TrimSpace(v)
	if kind(v) != '"' {
		return "", invalid(path, "must be a string")
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", invalid(path, "bad string")
	}
	return s, nil
}

func getBool(v []byte, path string) (bool, error) {
	switch string(bytes.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalid(path, "must be a boolean")
}

func getNumber(v []byte, path string) (float64, error) {
	v = bytes.TrimSpace(v)
	if k := kind(v); k != '-' && (k < '0' || k > '9') {
		return 0, invalid(path, "must be a number")
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, invalid(path, "number out of range")
	}
	return f, nil
}

func getInt(v []byte, path string) (int64, error) {
	f, err := getNumber(v, path)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, invalid(path, "must be an integer")
	}
	return int64(f), nil
}

// rawNumber checks v is a number and returns it as written.
func rawNumber(v []byte, path string) (json.RawMessage, float64, error) {
	f, err := getNumber(v, path)
	if err != nil {
		return nil, 0, err
	}
	return json.RawMessage(bytes.TrimSpace(v)), f, nil
}

// rawObject checks v is an object and returns it as written.
func rawObject(v []byte, path string) (json.RawMessage, error) {
	if kind(v) != '{' {
		return nil, invalid(path, "must be an object")
	}
	return json.RawMessage(bytes.TrimSpace(v)), nil
}

// marshal encodes v without HTML escaping, so text passes through as written.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}
