package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWatchReloadsAndKeepsOldOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	write := func(s string) { // each version has its own size, so a change shows even on coarse clocks
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("- name: a\n  match: method:x\n  action: drop\n")
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var applied []int
	var errs []string
	done := make(chan struct{})
	w := NewWatcher(path)
	go func() {
		defer close(done)
		w.Run(ctx, 25*time.Millisecond,
			func(s *Set) { mu.Lock(); applied = append(applied, len(s.Rules)); mu.Unlock() },
			func(err error) { mu.Lock(); errs = append(errs, err.Error()); mu.Unlock() })
	}()
	wait := func(cond func() bool) {
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out; applied %v errors %v", applied, errs)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	write("- name: a\n  match: method:x\n  action: drop\n- name: b\n  match: method:y\n  action: drop\n")
	wait(func() bool { return len(applied) == 1 && applied[0] == 2 })
	write("- name: a\n  match: method:x\n  action: explode\n")
	wait(func() bool { return len(errs) == 1 })
	if !strings.Contains(errs[0], "rules.yaml:3:") || len(applied) != 1 {
		t.Errorf("a bad edit: errors %v, applied %v; want the line and no new set", errs, applied)
	}
	cancel()
	<-done
}

// TestWatchKeepsOldOnHostileFiles: a reload of any file, however hostile,
// reports an error and applies nothing (issue 14).
func TestWatchKeepsOldOnHostileFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte("- name: a\n  match: method:x\n  action: drop\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	applied, errs := 0, []string{}
	done := make(chan struct{})
	w := NewWatcher(path)
	go func() {
		defer close(done)
		w.Run(ctx, 10*time.Millisecond,
			func(*Set) { mu.Lock(); applied++; mu.Unlock() },
			func(err error) { mu.Lock(); errs = append(errs, err.Error()); mu.Unlock() })
	}()
	defer func() { cancel(); <-done }()
	for name, c := range hostile {
		mu.Lock()
		before := len(errs)
		mu.Unlock()
		// Replaced whole (written aside, then renamed), as editors save: a
		// poll between os.WriteFile's truncation and its write would read
		// an empty file, which is a valid, empty set of rules.
		if err := os.WriteFile(path+".new", []byte(c.file), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			n, last, a := len(errs), "", applied
			if n > before {
				last = errs[n-1]
			}
			mu.Unlock()
			if a != 0 {
				t.Fatalf("%s: the watcher applied it", name)
			}
			if n > before {
				if !strings.Contains(last, c.want[len("rules.yaml"):]) {
					t.Errorf("%s: reload error %.200q, want %q", name, last, c.want)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no reload error", name)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
