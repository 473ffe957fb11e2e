package settingsui_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/twcmanager/twcmanager/ui/settings"
	"github.com/twcmanager/twcmanager/ui/setup"
	"github.com/twcmanager/twcmanager/ui/uitest"
)

// The 80 % rule text follows what is typed, in a real browser, under the
// real Content-Security-Policy: htmx posts the form while typing and swaps
// the texts in.
func TestRuleTextFollowsTyping(t *testing.T) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed")
		}
		t.Skip("chromium is not installed")
	}
	env := uitest.Start(t, setup.Register, settingsui.Register)
	env.Setup(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(390, 900))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	ctx, cancelC := context.WithTimeout(ctx, 60*time.Second)
	defer cancelC()

	err = chromedp.Do(ctx,
		chromedp.Navigate(env.Server.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), uitest.Password),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`input[name=password]`)),
		chromedp.Navigate(env.Server.URL+"/settings/wiring"),
		chromedp.WaitVisible(chromedp.CSS(`#f-wiring-shared-breaker_amps`)),
		chromedp.SetValue(chromedp.CSS(`#f-wiring-shared-breaker_amps`), ""),
		chromedp.SendKeys(chromedp.CSS(`#f-wiring-shared-breaker_amps`), "50"),
		chromedp.SetValue(chromedp.CSS(`#f-wiring-charger-breaker_amps`), ""),
		chromedp.SendKeys(chromedp.CSS(`#f-wiring-charger-breaker_amps`), "20"),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"#rule-f-wiring-shared":  "A 50 A breaker allows 40 A for hours (80 % rule).",
		"#rule-f-wiring-charger": "A 20 A breaker allows 16 A for hours (80 % rule).",
		"#rule-summary":          "Together the chargers never draw more than 40 A; each one at most 16 A.",
	}
	deadline := time.Now().Add(10 * time.Second)
	for sel, w := range want {
		for {
			got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
			if err == nil && strings.Contains(got, w) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %q (%v), want %q", sel, got, err, w)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if s := env.App.Web().Settings().Wiring; s.Shared.Breaker != 40 {
		t.Fatalf("typing saved the wiring: %+v", s)
	}
}
