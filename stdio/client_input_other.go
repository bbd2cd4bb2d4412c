//go:build !unix

package stdio

import "os"

// PollableStdin returns os.Stdin: where there is no poll(2), stdin is read
// as it is.
func PollableStdin() (stdin *os.File, restore func()) { return os.Stdin, func() {} }
