package bench

import (
	"encoding/json"
	"flag"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

var daysOut = flag.String("bench.days", "", "run every day profile with every policy and write the results as JSON to this file (scripts/bench.sh does)")

// TestDayProfiles runs every profile with every policy, each in its own
// synctest bubble so that a day passes in virtual time, and writes the
// results for Render. It measures, and asserts nothing about the figures;
// without -bench.days it is skipped, as it takes a minute of CPU.
func TestDayProfiles(t *testing.T) {
	if *daysOut == "" {
		t.Skip("a benchmark: run it with -args -bench.days=FILE (see scripts/bench.sh)")
	}
	start := time.Now()
	out := Days{}
	var mu sync.Mutex
	t.Run("runs", func(t *testing.T) {
		for _, p := range Profiles() {
			out.Profiles = append(out.Profiles, p)
			t.Run(p.Name+"/oracle", func(t *testing.T) {
				t.Parallel()
				r := Oracle(p)
				mu.Lock()
				out.Results = append(out.Results, r)
				mu.Unlock()
			})
			for _, pol := range Policies {
				t.Run(p.Name+"/"+string(pol), func(t *testing.T) {
					t.Parallel()
					synctest.Test(t, func(t *testing.T) {
						r, err := RunDay(p, pol)
						if err != nil {
							t.Fatal(err)
						}
						t.Logf("charged %.1f kWh, solar %.1f kWh, import %.2f kWh", r.ChargedWh/1000, r.SolarWh/1000, r.ImportWh/1000)
						mu.Lock()
						out.Results = append(out.Results, r)
						mu.Unlock()
					})
				})
			}
		}
	})
	out.Elapsed = time.Since(start)
	b, err := json.MarshalIndent(out, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*daysOut, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
