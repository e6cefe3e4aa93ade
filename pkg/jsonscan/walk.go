package jsonscan

// Object and Array walk the members and elements of one JSON value without
// decoding it. They do not validate; on malformed input the walk stops early
// and nothing panics.

// Object walks the members of one JSON object.
type Object struct {
	b []byte
	i int
}

// OpenObject starts a walk when v (after whitespace) is an object.
func OpenObject(v []byte) (Object, bool) {
	i, ok := open(v, '{')
	return Object{b: v, i: i}, ok
}

// open returns the offset just past v's opening bracket c, if v (after
// whitespace) starts with it.
func open(v []byte, c byte) (int, bool) {
	i := SkipSpace(v, 0)
	if i >= len(v) || v[i] != c {
		return 0, false
	}
	return i + 1, true
}

// item returns where the next member or element of b starts at or after i:
// past whitespace and the comma that separates it from the one before.
func item(b []byte, i int) int {
	i = SkipSpace(b, i)
	if i < len(b) && b[i] == ',' {
		i = SkipSpace(b, i+1)
	}
	return i
}

// Next returns the next member: the key's raw bytes (escapes not decoded)
// and the value's bytes. ok is false at the end or at malformed input.
func (o *Object) Next() (key, val []byte, ok bool) {
	b := o.b
	i := item(b, o.i)
	if i >= len(b) || b[i] != '"' {
		return nil, nil, false
	}
	end := SkipString(b, i)
	if end < 0 {
		return nil, nil, false
	}
	key = b[i+1 : end-1]
	i = SkipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		return nil, nil, false
	}
	i = SkipSpace(b, i+1)
	vend := SkipValue(b, i)
	if vend < 0 {
		return nil, nil, false
	}
	o.i = vend
	return key, b[i:vend], true
}

// Member returns the value of the first member named key in the object v.
func Member(v []byte, key string) ([]byte, bool) {
	o, ok := OpenObject(v)
	if !ok {
		return nil, false
	}
	for k, val, more := o.Next(); more; k, val, more = o.Next() {
		if string(k) == key {
			return val, true
		}
	}
	return nil, false
}

// Array walks the elements of one JSON array.
type Array struct {
	b []byte
	i int
}

// OpenArray starts a walk when v (after whitespace) is an array.
func OpenArray(v []byte) (Array, bool) {
	i, ok := open(v, '[')
	return Array{b: v, i: i}, ok
}

// Next returns the next element's bytes; false at the end or at malformed
// input.
func (a *Array) Next() ([]byte, bool) {
	b := a.b
	i := item(b, a.i)
	if i >= len(b) || b[i] == ']' {
		return nil, false
	}
	end := SkipValue(b, i)
	if end < 0 {
		return nil, false
	}
	a.i = end
	return b[i:end], true
}
