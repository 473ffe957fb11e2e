package diagnostics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/bus/capture"
	"github.com/twcmanager/twcmanager/ui/web"
)

// Bus captures: the raw bytes on the bus with their times, recorded for a
// few minutes into a file a user sends with a support case; twcsim -replay
// plays it back.

// captureMinutes is the default length offered.
const captureMinutes = 5

// captureView is the capture card.
type captureView struct {
	Recording bool
	// State says how the recording goes, or what the last one holds.
	State []string
	// Ready is set when a finished capture can be downloaded.
	Ready    bool
	FileName string
	Minutes  string
	Err      string // about the minutes field
	Problem  string // the bus did not do what was asked
	Done     string
}

func (h *handler) captureView(ctx context.Context, minutes string) captureView {
	v := captureView{Minutes: minutes}
	if v.Minutes == "" {
		v.Minutes = strconv.Itoa(captureMinutes)
	}
	st, err := h.d.App.CaptureStatus(ctx)
	if err != nil {
		v.Problem = "The capture's state could not be read: " + err.Error()
		return v
	}
	switch {
	case st.Recording:
		v.Recording = true
		v.State = append(v.State, fmt.Sprintf("Recording since %s, until %s: %s so far.",
			clockTime(st.Start), clockTime(st.End), byteWords(st.Bytes)))
	case st.Size > 0:
		v.Ready, v.FileName = true, captureFileName(st.Start)
		v.State = append(v.State, fmt.Sprintf("The last capture ran from %s to %s: %s of bus traffic, a file of %s.",
			clockTime(st.Start), clockTime(st.End), byteWords(st.Bytes), byteWords(st.Size)))
	default:
		v.State = append(v.State, "No capture has been recorded since the appliance started.")
	}
	if st.Dropped > 0 {
		v.State = append(v.State, fmt.Sprintf("%d bytes did not fit and are missing from it.", st.Dropped))
	}
	return v
}

func clockTime(t time.Time) string { return t.Local().Format("15:04:05") }

func byteWords(n int) string {
	switch {
	case n == 1:
		return "1 byte"
	case n < 10_000:
		return fmt.Sprintf("%d bytes", n)
	case n < 10_000_000:
		return fmt.Sprintf("%d kB", (n+500)/1000)
	}
	return fmt.Sprintf("%d MB", (n+500_000)/1_000_000)
}

// captureFileName names the download after when the capture began.
func captureFileName(start time.Time) string {
	return "twcmanager-bus-" + start.Local().Format("20060102-150405") + capture.Extension
}

// parseMinutes reads the capture's length: whole minutes, 1 to 30.
func parseMinutes(s string) (time.Duration, string) {
	limit := int(bus.MaxCapture / time.Minute)
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > limit {
		return 0, fmt.Sprintf("Minutes: %q is not allowed. Allowed: a whole number from 1 to %d.", s, limit)
	}
	return time.Duration(n) * time.Minute, ""
}

// captureStart starts a capture of the minutes asked for.
func (h *handler) captureStart(w http.ResponseWriter, r *http.Request) {
	minutes := r.PostFormValue("minutes")
	d, msg := parseMinutes(minutes)
	status := http.StatusUnprocessableEntity
	var problem string
	if msg == "" {
		ctx, cancel := context.WithTimeout(r.Context(), busWait)
		err := h.d.App.StartCapture(ctx, d)
		cancel()
		if err == nil {
			h.d.Log.Info("diagnostics: bus capture started", "minutes", d.Minutes())
			http.Redirect(w, r, "/diagnostics?capture=started#capture", http.StatusSeeOther)
			return
		}
		status, problem = http.StatusConflict, "The capture could not be started: "+err.Error()+"."
	}
	h.render(w, r, status, queryForm{}, func(v *captureView) { v.Minutes, v.Err, v.Problem = minutes, msg, problem })
}

// captureStop ends the running capture early.
func (h *handler) captureStop(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), busWait)
	err := h.d.App.StopCapture(ctx)
	cancel()
	if err != nil {
		h.render(w, r, http.StatusConflict, queryForm{}, func(v *captureView) {
			v.Problem = "The capture could not be stopped: " + err.Error() + "."
		})
		return
	}
	http.Redirect(w, r, "/diagnostics?capture=stopped#capture", http.StatusSeeOther)
}

// captureFile downloads the last finished capture.
func (h *handler) captureFile(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), busWait)
	file, st, err := h.d.App.CaptureFile(ctx)
	cancel()
	if errors.Is(err, bus.ErrNoCapture) {
		http.Error(w, "No bus capture is ready to download: record one on the diagnostics page first ("+err.Error()+").", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "The bus capture could not be read: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", captureFileName(st.Start)))
	w.Header().Set("Content-Length", strconv.Itoa(len(file)))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(file) // the browser may have gone; nothing to do then
}

// captureNotice confirms what the last capture button did.
func captureNotice(r *http.Request) string {
	switch r.URL.Query().Get("capture") {
	case "started":
		return "The capture has started. Reload this page to follow it; the file can be downloaded when it ends."
	case "stopped":
		return "The capture was stopped. Download it below."
	}
	return ""
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, f queryForm, capture func(*captureView)) {
	v := h.build(r, f)
	if capture != nil {
		capture(&v.Capture)
	}
	web.Render(w, r, status, diagnosticsPage(web.Info(r, "Diagnostics", "diagnostics"), v))
}
