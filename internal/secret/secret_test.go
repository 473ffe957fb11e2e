package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverShows(t *testing.T) {
	const v = "hunter2-token-abc"
	s := New(v)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "token", s)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "token", s)
	js, _ := json.Marshal(struct{ T String }{s})
	out := strings.Join([]string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x %X", s, s, s, s, s, s, s),
		fmt.Sprintf("%v", struct{ T String }{s}), logs.String(), string(js),
		fmt.Sprintf("%+v %#v", struct{ t String }{s}, struct{ t String }{s}),
	}, "\n")
	if strings.Contains(out, v) || strings.Contains(out, fmt.Sprintf("%x", v)) {
		t.Fatalf("secret leaked:\n%s", out)
	}
	if s.Reveal() != v || !s.IsSet() {
		t.Fatal("Reveal lost the value")
	}
	var back struct{ T String }
	if err := json.Unmarshal([]byte(`{"T":"`+Mask+`"}`), &back); err != nil || back.T.IsSet() {
		t.Fatalf("mask round trip set a value: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"T":"new"}`), &back); err != nil || back.T.Reveal() != "new" {
		t.Fatalf("unmarshal: %v", err)
	}
	if New("").String() != "" {
		t.Fatal("an empty secret shows a mask")
	}
}
