package ui_test

import "github.com/mcpscope/mcpscope/proxy"

// The breakpoint methods of the load test's engine: nothing is ever held.

func (e *loadEngine) Held() []proxy.HeldInfo                 { return nil }
func (e *loadEngine) ResumeHeld(id, edited, by string) error { return proxy.ErrUnknownHeld }
func (e *loadEngine) DropHeld(id, by string) error           { return proxy.ErrUnknownHeld }
func (e *loadEngine) FailHeld(id, by string) error           { return proxy.ErrUnknownHeld }
