package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// mcpscope has no profiling flag of its own, so the profiles are perf's:
// perf record samples the route's process (all its threads, user and
// kernel, with frame-pointer call chains, which Go keeps on amd64 and
// arm64) during the timed part of one more run of each workload, after
// the rounds so the sampling never slows a measured run.

// profileAll profiles every route of cfg under every workload of cfg, on
// fresh route processes for each workload, into
// cfg.profileDir: WORKLOAD.ROUTE.perf.data, and perf report's text beside
// it, WORKLOAD.ROUTE.txt (self time per symbol, then time with callees).
func profileAll(cfg config, fresh func() (map[string]*route, func(), error), logw io.Writer) error {
	if _, err := exec.LookPath("perf"); err != nil {
		return fmt.Errorf("-cpuprofile needs perf (mcpscope has no profiling flag): %w", err)
	}
	if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
		return err
	}
	for _, wl := range cfg.workloads {
		if err := profileWorkload(cfg, wl, fresh, logw); err != nil {
			return err
		}
	}
	return nil
}

// perfReport writes base.txt from base.perf.data: the symbols by self
// time, then by time including callees.
func perfReport(base string) error {
	f, err := os.Create(base + ".txt")
	if err != nil {
		return err
	}
	defer f.Close()
	for _, mode := range []string{"--no-children", "--children"} {
		fmt.Fprintf(f, "# perf report %s\n", mode)
		out, err := exec.Command("perf", "report", "-i", base+".perf.data", "--stdio", "--quiet", mode, "-g", "none", "--sort", "symbol", "--percent-limit", "1").Output()
		if err != nil {
			return fmt.Errorf("perf report %s: %w", base, err)
		}
		for line := range strings.Lines(string(out)) {
			fmt.Fprintln(f, strings.TrimRight(strings.TrimSpace(strings.TrimRight(line, " -\n")), " "))
		}
	}
	return nil
}

// snapshotSockets waits wait, then writes to file the TCP sockets of the
// route's two hops (client → route, route → upstream) with their queues
// (ss: Recv-Q, bytes received but not yet read; Send-Q, bytes written but
// not yet acknowledged): where a saturated stream's events wait, outside
// the processes.
func snapshotSockets(file string, wait time.Duration, r, upstream *route) {
	time.Sleep(wait)
	var filter []string
	for _, u := range []string{r.url, upstream.url} {
		filter = append(filter, "( sport = :"+port(u)+" or dport = :"+port(u)+" )")
	}
	out, err := exec.Command("ss", "-tnH", strings.Join(filter, " or ")).CombinedOutput()
	if err != nil {
		out = fmt.Appendf(out, "ss: %v\n", err)
	}
	out = append(out, queueSummary(string(out), port(r.url), port(upstream.url))...)
	if status, err := os.ReadFile("/proc/" + strconv.Itoa(r.pid) + "/status"); err == nil {
		for line := range strings.Lines(string(status)) {
			if strings.HasPrefix(line, "VmRSS:") {
				out = append(out, "# route process "+strings.Join(strings.Fields(line), " ")+"\n"...)
			}
		}
	}
	os.WriteFile(file, append([]byte("# State Recv-Q Send-Q Local Peer (route "+r.url+", upstream "+upstream.url+")\n"), out...), 0o644)
}

// port returns the port of a base URL http://HOST:PORT.
func port(u string) string { return u[strings.LastIndexByte(u, ':')+1:] }

// queueSummary adds up ss's queues (Recv-Q and Send-Q) on the two hops:
// sockets with the route's port at one end (client hop) and with the
// upstream's (upstream hop).
func queueSummary(ss, route, upstream string) string {
	var hop [2]int64 // client, upstream
	for line := range strings.Lines(ss) {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		recvQ, err1 := strconv.ParseInt(f[1], 10, 64)
		sendQ, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		switch {
		case port(f[3]) == route || port(f[4]) == route:
			hop[0] += recvQ + sendQ
		case port(f[3]) == upstream || port(f[4]) == upstream:
			hop[1] += recvQ + sendQ
		}
	}
	return fmt.Sprintf("# queued in the kernel: client hop %d bytes, upstream hop %d bytes\n", hop[0], hop[1])
}

// profileWorkload profiles every route of cfg under wl, on fresh route
// processes.
func profileWorkload(cfg config, wl workload, fresh func() (map[string]*route, func(), error), logw io.Writer) error {
	started, stop, err := fresh()
	if err != nil {
		return err
	}
	defer stop()
	for _, name := range cfg.routes {
		r := started[name]
		base := filepath.Join(cfg.profileDir, wl.name+"."+name)
		dur := cfg.duration
		if wl.kind == "paced" {
			dur = cfg.paced
		}
		perfErr := make(chan error, 1)
		during := func() {
			go snapshotSockets(base+".sockets.txt", dur/2, r, started["direct"])
			out, err := exec.Command("perf", "record", "-q", "-F", "999", "-g", "-p", strconv.Itoa(r.pid), "-o", base+".perf.data",
				"--", "sleep", strconv.FormatFloat(dur.Seconds(), 'f', 3, 64)).CombinedOutput()
			if err != nil {
				err = fmt.Errorf("perf record: %v: %s", err, out)
			}
			perfErr <- err
		}
		if _, err := runOnce(cfg, wl, r, during); err != nil {
			return fmt.Errorf("profiling %s through %s: %w", wl.name, name, err)
		}
		if err := <-perfErr; err != nil {
			return err
		}
		if err := perfReport(base); err != nil {
			return err
		}
		fmt.Fprintf(logw, "profile %s\n", base+".txt")
	}
	return nil
}
