package record

// normalizeName returns name in lower case without '_' and '-', the form
// secret names are compared in (apiKey, api_key and API-KEY are one).
func normalizeName(name string) string {
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '_' || c == '-':
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// maxNameLen bounds the member names compared with names.
const maxNameLen = 48

// secretName reports whether a member name, normalized, is one of names,
// without allocating; most names are turned away by their first and last
// letters.
func (j *jsonRedaction) secretName(name string) bool {
	if len(name) < 3 || len(name) > maxNameLen {
		return false
	}
	var buf [maxNameLen]byte
	n := 0
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '_' || c == '-':
		case 'A' <= c && c <= 'Z':
			buf[n] = c + 'a' - 'A'
			n++
		default:
			buf[n] = c
			n++
		}
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
