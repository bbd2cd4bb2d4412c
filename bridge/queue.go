package bridge

// queue keeps the server messages of a session that no stream was open to
// carry, bounded in bytes: past max the oldest are dropped and counted.
// The session's mutex guards it.
type queue struct {
	lines   [][]byte
	bytes   int
	dropped int // dropped since the count was last taken
}

// push adds line, dropping the oldest lines while the queue holds more
// than max bytes (a line larger than max alone is dropped too).
func (q *queue) push(line []byte, max int) {
	q.lines = append(q.lines, line)
	q.bytes += len(line)
	for q.bytes > max && len(q.lines) > 0 {
		q.bytes -= len(q.lines[0])
		q.lines[0] = nil
		q.lines = q.lines[1:]
		q.dropped++
	}
}

// take empties the queue, returning its lines in order and how many were
// dropped before them.
func (q *queue) take() (lines [][]byte, dropped int) {
	lines, dropped = q.lines, q.dropped
	*q = queue{}
	return lines, dropped
}
