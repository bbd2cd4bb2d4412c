package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on Linux on every architecture Go supports).
const clockTick = 10 * time.Millisecond

// processCPU returns process pid's user+system CPU time so far, of all
// its threads (utime+stime of /proc/PID/stat).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')') // the command name may hold spaces
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state): utime is field 14, stime 15
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	stime, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// quantile returns the q-quantile of sorted (nearest rank), or 0.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1))]
}

// spread is the median of some per-round figures and their range.
type spread struct{ med, lo, hi float64 }

func spreadOf(v []float64) spread {
	if len(v) == 0 {
		return spread{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{med, s[0], s[len(s)-1]}
}

// figures are the numbers a run yields, derived from its result.
type figures struct {
	eventsPerSec, mbPerSec, streamsPerSec float64
	cpuPerEvent, cpuPerStream             float64 // µs
	p50, p99                              float64 // µs
	cut                                   float64
}

func figuresOf(wl workload, r result) figures {
	slices.Sort(r.lat)
	f := figures{
		eventsPerSec:  float64(r.events) / r.secs,
		mbPerSec:      float64(r.events) * float64(wl.size) / r.secs / 1e6,
		streamsPerSec: float64(r.streams) / r.secs,
		p50:           float64(quantile(r.lat, 0.50)) / 1e3,
		p99:           float64(quantile(r.lat, 0.99)) / 1e3,
		cut:           float64(r.cut),
	}
	if r.events > 0 {
		f.cpuPerEvent = float64(r.cpu) / 1e3 / float64(r.events)
	}
	if r.streams > 0 {
		f.cpuPerStream = float64(r.cpu) / 1e3 / float64(r.streams)
	}
	return f
}
