package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/twcmanager/twcmanager/ui/web"
)

// setPassword finishes the first boot's password step directly, for tests
// that start after the wizard.
func setPassword(t *testing.T, s *site, password string) {
	t.Helper()
	h, err := web.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.app.Web().SetSecret(web.AdminHashSecret, h); err != nil {
		t.Fatal(err)
	}
	st := s.app.Web().Settings()
	st.SetupDone = true
	if err := s.app.Web().SetSettings(st); err != nil {
		t.Fatal(err)
	}
}

func TestLoginPageRenders(t *testing.T) {
	s := startSite(t)
	setPassword(t, s, "correct horse battery")
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`))); err != nil {
		t.Fatal(err)
	}
	screenshots(t, ctx, "login")
	if got := text(t, ctx, "h1"); got != "Log in" {
		t.Fatalf("heading %q", got)
	}
}
