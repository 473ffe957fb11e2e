package diagnostics_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus/capture"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/ui/uitest"
)

var fileNameRE = regexp.MustCompile(`^attachment; filename="twcmanager-bus-\d{8}-\d{6}\.twccap"$`)

// get fetches path without following redirects and returns the response
// with its body read.
func get(t *testing.T, env *uitest.Env, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := env.Client.Get(env.Server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// post sends form with the CSRF token and returns the status and where it
// redirects.
func post(t *testing.T, env *uitest.Env, path string, form url.Values) (int, string, string) {
	t.Helper()
	form.Set("csrf", env.CSRF())
	resp, err := env.Client.PostForm(env.Server.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// A capture from the diagnostics page: started for a number of minutes,
// followed, stopped early, and downloaded as an attachment that parses and
// holds the demo bus's heartbeats both ways.
func TestBusCaptureDownload(t *testing.T) {
	env := start(t)
	_, body := env.Get(t, "/diagnostics")
	uitest.Contains(t, body, "Record the bus", "No capture has been recorded since the appliance started.", `name="minutes"`, "Start recording")
	uitest.Lacks(t, body, "/diagnostics/capture/file")
	if resp, b := get(t, env, "/diagnostics/capture/file"); resp.StatusCode != http.StatusNotFound ||
		!strings.Contains(string(b), "No bus capture is ready to download") {
		t.Fatalf("download before any capture: %d %s", resp.StatusCode, b)
	}

	code, body, loc := post(t, env, "/diagnostics/capture", url.Values{"minutes": {"2"}})
	if code != http.StatusSeeOther || loc != "/diagnostics?capture=started#capture" {
		t.Fatalf("start: %d → %q\n%s", code, loc, body)
	}
	time.Sleep(3 * time.Second)
	_, body = env.Get(t, "/diagnostics?capture=started")
	uitest.Contains(t, body, "The capture has started.", "Recording since", "Stop now")
	uitest.Lacks(t, body, "Start recording")

	code, body, loc = post(t, env, "/diagnostics/capture/stop", url.Values{})
	if code != http.StatusSeeOther || loc != "/diagnostics?capture=stopped#capture" {
		t.Fatalf("stop: %d → %q\n%s", code, loc, body)
	}
	_, body = env.Get(t, "/diagnostics?capture=stopped")
	uitest.Contains(t, body, "The capture was stopped.", "The last capture ran from", `data-testid="capture-download"`, "Start recording")

	resp, file := get(t, env, "/diagnostics/capture/file")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		!fileNameRE.MatchString(resp.Header.Get("Content-Disposition")) {
		t.Fatalf("download: %d, %q, %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	c, err := capture.Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[twc.Code]int{}
	for _, f := range c.Frames() {
		codes[twc.CodeOf(f.Body)]++
	}
	if c.Length < 2*time.Second || codes[twc.CodeMasterHeartbeat] < 2 || codes[twc.CodeSlaveHeartbeat] < 2 {
		t.Errorf("capture of %v with frames %v", c.Length, codes)
	}
}

// Bad minutes are refused next to the field, with what is allowed, and
// nothing is recorded; stopping when nothing records is refused too.
func TestBusCaptureRefusesBadMinutes(t *testing.T) {
	env := start(t)
	for _, m := range []string{"0", "31", "2.5", "ten", ""} {
		env.Get(t, "/diagnostics")
		code, body, _ := post(t, env, "/diagnostics/capture", url.Values{"minutes": {m}})
		uitest.Status(t, code, http.StatusUnprocessableEntity, body)
		uitest.Contains(t, body, `Minutes: "`+m+`" is not allowed. Allowed: a whole number from 1 to 30.`, `aria-invalid="true"`,
			`value="`+m+`"`, "No capture has been recorded")
	}
	env.Get(t, "/diagnostics")
	code, body, _ := post(t, env, "/diagnostics/capture/stop", url.Values{})
	uitest.Status(t, code, http.StatusConflict, body)
	uitest.Contains(t, body, "The capture could not be stopped: bus: no capture is recording.")
}

// In monitor mode the page says the appliance only listens, offers no
// question to ask, and counts the master charger's messages.
func TestDiagnosticsInMonitorMode(t *testing.T) {
	env := start(t)
	s := env.App.Web().Settings()
	s.Bus.Monitor = true
	if err := env.App.Web().SetSettings(s); err != nil {
		t.Fatal(err)
	}
	var body string
	uitest.Eventually(t, 15*time.Second, func() string {
		_, body = env.Get(t, "/diagnostics")
		if !strings.Contains(body, "The master is charger ") || !strings.Contains(body, "Charger 1839") {
			return "the master and its slaves are not shown yet"
		}
		return ""
	})
	uitest.Contains(t, body, "Monitor mode: twcmanager only listens and never transmits. It cannot control charging in this mode.",
		"so it cannot ask", `<button type="submit" disabled>Ask</button>`, "Messages from the master charger", "Transmissions refused",
		`In monitor mode twcmanager sends nothing`)
	// The log goes back to before the switch; the newest messages are heard.
	rows := body[strings.Index(body, `data-testid="frames"`):]
	if first := rows[strings.Index(rows, "<tbody>"):]; !regexp.MustCompile(`^<tbody><tr class=""><td>[0-9:.]+</td><td>in</td>`).MatchString(first) {
		t.Errorf("the newest frame is not heard: %.200s", first)
	}
}
