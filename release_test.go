package main

import (
	"os"
	"os/exec"
	"runtime"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestReleaseTargetsBuild reads the release config (.goreleaser.yaml) and
// builds mcpscope for one architecture of each operating system it
// releases for other than this one's, as goreleaser would (CGO off): code
// that only builds on Linux (a Linux-only system call, say) fails here
// rather than at release time. goreleaser itself is not run (see README,
// "Install").
func TestReleaseTargetsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: cross-compiles mcpscope for each released OS (a minute or two on a cold build cache)")
	}
	data, err := os.ReadFile(".goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var config struct {
		Version int
		Builds  []struct {
			Main   string
			Env    []string
			GOOS   []string `yaml:"goos"`
			GOARCH []string `yaml:"goarch"`
			Flags  []string
		}
	}
	if err := yaml.Unmarshal(data, &config); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if config.Version != 2 || len(config.Builds) != 1 {
		t.Fatalf(".goreleaser.yaml: want version 2 and one build, got %+v", config)
	}
	b := config.Builds[0]
	if len(b.GOOS) == 0 || len(b.GOARCH) == 0 {
		t.Fatalf(".goreleaser.yaml: no goos or goarch: %+v", b)
	}
	for _, goos := range b.GOOS {
		if goos == runtime.GOOS {
			continue // built by every other test
		}
		goarch := b.GOARCH[len(b.GOARCH)-1]
		t.Run(goos+"/"+goarch, func(t *testing.T) {
			args := append(append([]string{"build", "-o", os.DevNull}, b.Flags...), b.Main)
			build := exec.Command("go", args...)
			build.Env = append(append(os.Environ(), b.Env...), "GOOS="+goos, "GOARCH="+goarch)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("GOOS=%s GOARCH=%s go %v: %v\n%s", goos, goarch, args, err, out)
			}
		})
	}
}
