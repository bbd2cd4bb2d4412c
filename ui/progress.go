package ui

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"
)

// progressMsg is the latest start-up step (Options.Progress).
type progressMsg string

// forwardProgress sends the program each value of progress until it is
// closed or ctx ends.
func forwardProgress(ctx context.Context, progress <-chan string, send func(tea.Msg)) {
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-progress:
			if !ok {
				return
			}
			send(progressMsg(s))
		}
	}
}
