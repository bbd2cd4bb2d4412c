package stdio

// serverOutput is the read end of the server's stdout. Close may be called
// while a Read waits: the Read then returns an error, and Close returns
// once it has.
type serverOutput interface {
	Read(p []byte) (int, error)
	Close() error
	// waiting reports whether a Read is under way: the relay's reader waits
	// there for the server's next bytes, not for room in its window.
	waiting() bool
}
