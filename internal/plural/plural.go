// Package plural writes counts of things in English: "1 stream", "2 streams".
package plural

import "strconv"

// Count returns n and noun, with an "s" on noun unless n is 1. Nouns whose
// plural is not noun+"s" are not for this function.
func Count(n int, noun string) string {
	s := strconv.Itoa(n) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}
