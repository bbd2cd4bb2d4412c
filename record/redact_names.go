package record

// normalByte returns c as it is compared in names — in lower case — and
// false for the bytes names are compared without ('_' and '-').
func normalByte(c byte) (byte, bool) {
	switch {
	case c == '_' || c == '-':
		return 0, false
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A', true
	}
	return c, true
}

// normalizeName returns name in lower case without '_' and '-', the form
// secret names are compared in (apiKey, api_key and API-KEY are one).
func normalizeName(name string) string {
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		if c, ok := normalByte(name[i]); ok {
			b = append(b, c)
		}
	}
	return string(b)
}

// sameName reports whether a and b are one name once normalized (see
// normalizeName), without allocating: sessionId is session_id.
func sameName(a, b string) bool {
	i, j := 0, 0
	for {
		var ca, cb byte
		okA, okB := false, false
		for ; i < len(a) && !okA; i++ {
			ca, okA = normalByte(a[i])
		}
		for ; j < len(b) && !okB; j++ {
			cb, okB = normalByte(b[j])
		}
		if okA != okB || ca != cb {
			return false
		}
		if !okA {
			return true
		}
	}
}

// maxNameLen bounds the member names, normalized, compared with names.
const maxNameLen = 48

// secretName reports whether a member name, normalized, is one of names,
// without allocating; most names are turned away by their first and last
// letters.
func (j *jsonRedaction) secretName(name string) bool {
	var buf [maxNameLen]byte
	n := 0
	for i := 0; i < len(name); i++ {
		c, ok := normalByte(name[i])
		if !ok {
			continue
		}
		if n == maxNameLen {
			return false
		}
		buf[n] = c
		n++
	}
	if n == 0 || j.ends[buf[0]]&(1<<(buf[n-1]&31)) == 0 {
		return false
	}
	return j.names[string(buf[:n])]
}

// addName adds a secret name.
func (j *jsonRedaction) addName(name string) {
	n := normalizeName(name)
	if n == "" || len(n) > maxNameLen {
		return
	}
	if j.names == nil {
		j.names = map[string]bool{}
	}
	j.names[n] = true
	j.ends[n[0]] |= 1 << (n[len(n)-1] & 31)
}
