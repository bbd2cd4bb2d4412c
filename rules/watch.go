package rules

import (
	"context"
	"os"
	"time"
)

// Watcher reloads a rules file whenever it changes. It polls the file's
// size and modification time: editors that save by writing a new file and
// renaming it over the old one defeat a watch on the file itself, and a
// poll of one stat call is cheap.
type Watcher struct {
	path string
	last fileStamp
}

// NewWatcher notes the file as it is now: make it before loading the rules
// it watches, so a change made after the load is never missed.
func NewWatcher(path string) *Watcher { return &Watcher{path: path, last: stamp(path)} }

// Run polls every interval until ctx ends. It calls apply with each new set
// that loads, and failed with the error of each change that does not (the
// caller keeps the rules it has). A change is loaded once the file has
// stayed the same for one interval, so a file caught half-written (an
// editor that truncates, then writes) is not loaded.
func (w *Watcher) Run(ctx context.Context, interval time.Duration, apply func(*Set), failed func(error)) {
	path, last := w.path, w.last
	var pending *fileStamp // a change seen, waiting to settle
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := stamp(path)
		if now == last {
			pending = nil
			continue
		}
		if pending == nil || *pending != now {
			pending = &now // changed, or still changing: wait for it to settle
			continue
		}
		last, pending = now, nil
		set, err := Load(path)
		if err != nil {
			failed(err)
			continue
		}
		apply(set)
	}
}

type fileStamp struct {
	size int64
	mod  time.Time
	err  bool
}

func stamp(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{err: true}
	}
	return fileStamp{size: fi.Size(), mod: fi.ModTime()}
}
