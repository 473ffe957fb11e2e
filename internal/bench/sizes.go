package bench

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// FileSize is the size of one build artefact.
type FileSize struct {
	Label string `json:"label"`
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
	// Allocated is what it takes on disk: less than Bytes for a sparse
	// file such as the SD-card image.
	Allocated int64 `json:"allocated"`
}

// StatSizes stats each "label=path"; a missing file is an error.
func StatSizes(specs []string) ([]FileSize, error) {
	var out []FileSize
	for _, s := range specs {
		label, path, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("bench: size %q: want LABEL=PATH", s)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("bench: size of %s: %w", label, err)
		}
		f := FileSize{Label: label, Path: path, Bytes: fi.Size(), Allocated: fi.Size()}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			f.Allocated = st.Blocks * 512 // st_blocks counts 512-byte units whatever the block size
		}
		out = append(out, f)
	}
	return out, nil
}

// Machine describes the computer a report was made on.
type Machine struct {
	CPU      string    `json:"cpu"`
	Cores    int       `json:"cores"`
	MemoryMB int64     `json:"memory_mb"`
	Kernel   string    `json:"kernel"`
	Arch     string    `json:"arch"`
	Go       string    `json:"go"`
	Date     time.Time `json:"date"`
}

// ThisMachine describes the computer it runs on, from /proc where it can.
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Arch: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), Date: time.Now()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			k = strings.TrimSpace(k)
			if ok && (k == "model name" || k == "Model" || k == "Hardware") && m.CPU == "" {
				m.CPU = strings.TrimSpace(v)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if st, err := procMeminfo(); err == nil {
		m.MemoryMB = st / 1024
	}
	return m
}

func procMeminfo() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb int64
			_, err := fmt.Sscan(rest, &kb)
			return kb, err
		}
	}
	return 0, fmt.Errorf("bench: no MemTotal in /proc/meminfo")
}
