package rules

import (
	"context"
	"os"
	"time"
)

// Watch reloads the rules file whenever it changes, until ctx ends. It
// calls apply with each new set that loads, and failed with the error of
// each change that does not (the caller keeps the rules it has). It polls
// the file's size and modification time every interval: editors that save
// by writing a new file and renaming it over the old one defeat a watch on
// the file itself, and a poll of one stat call is cheap.
func Watch(ctx context.Context, path string, interval time.Duration, apply func(*Set), failed func(error)) {
	last := stamp(path)
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
			continue
		}
		last = now
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
