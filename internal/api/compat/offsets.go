package compat

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
)

// legacyOffset is the offset TWCManager's setConsumptionOffset writes (its
// greenEnergyAmpsOffset, in A); the importer gives it the same name.
const legacyOffset = "greenEnergyAmpsOffset"

// unsafeChars are the characters TWCManager refuses in an offset name.
const unsafeChars = `@#$%^&*"+<>;/`

type offsetJSON struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// getConsumptionOffsets is {name: {value, unit}}.
func (s *server) getConsumptionOffsets(w http.ResponseWriter, _ *http.Request) {
	out := map[string]offsetJSON{}
	for _, o := range s.b.Settings().Policy.Offsets {
		out[o.Name] = offsetJSON{Value: o.Value, Unit: string(o.Unit)}
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// addConsumptionOffset adds {offsetName, offsetValue, offsetUnit}, or
// replaces the offset of that name.
func (s *server) addConsumptionOffset(w http.ResponseWriter, _ *http.Request, body []byte) error {
	f, err := parseFields(body)
	if err != nil {
		return err
	}
	name, hasName, err := f.text("offsetName")
	if err != nil {
		return err
	}
	value, hasValue, err := f.number("offsetValue", "500")
	if err != nil {
		return err
	}
	unit, hasUnit, err := f.text("offsetUnit")
	if err != nil {
		return err
	}
	switch {
	case !hasName || name == "":
		return missing("offsetName", "a name of 1 to 31 characters, e.g. heat pump")
	case utf8.RuneCountInString(name) > config.MaxOffsetName:
		return badField("offsetName", "%q is longer than %d characters", name, config.MaxOffsetName)
	case strings.ContainsAny(name, unsafeChars):
		return badField("offsetName", "%q contains one of %s, which are not allowed", name, unsafeChars)
	case !hasValue:
		return missing("offsetValue", "the offset in W or A, not 0; negative adds to the generation")
	case value == 0:
		return badField("offsetValue", "must not be 0; to remove an offset, POST /api/deleteConsumptionOffset")
	case !hasUnit:
		return missing("offsetUnit", `"W" or "A"`)
	case unit != string(config.UnitWatts) && unit != string(config.UnitAmps):
		return badField("offsetUnit", `%q: want "W" or "A"`, unit)
	}
	o := config.Offset{Name: name, Value: value, Unit: config.OffsetUnit(unit)}
	err = api.Change(s.b, func(set *config.Settings) error {
		set.Policy.Offsets = putOffset(set.Policy.Offsets, o)
		return nil
	})
	if err := settingsError(err, offsetField("offsetName", "offsetValue", "offsetUnit")); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"status": "success", "offsetName": name, "offsetValue": value, "offsetUnit": unit})
	return nil
}

// putOffset replaces the offset named o.Name, or appends o.
func putOffset(offs []config.Offset, o config.Offset) []config.Offset {
	out := slices.Clone(offs)
	if i := slices.IndexFunc(out, func(x config.Offset) bool { return x.Name == o.Name }); i >= 0 {
		out[i] = o
		return out
	}
	return append(out, o)
}

// offsetField names the request fields behind policy.offsets[i].*.
func offsetField(name, value, unit string) func(string) string {
	return func(path string) string {
		if !strings.HasPrefix(path, "policy.offsets") {
			return ""
		}
		switch {
		case strings.HasSuffix(path, ".name"):
			return name
		case strings.HasSuffix(path, ".value"):
			return value
		case strings.HasSuffix(path, ".unit"):
			return unit
		}
		return ""
	}
}

// deleteConsumptionOffset removes {offsetName}; 404 when there is no such
// offset, as TWCManager answers.
func (s *server) deleteConsumptionOffset(w http.ResponseWriter, _ *http.Request, body []byte) error {
	f, err := parseFields(body)
	if err != nil {
		return err
	}
	name, present, err := f.text("offsetName")
	switch {
	case err != nil:
		return err
	case !present || name == "":
		return missing("offsetName", "the name of the offset to delete")
	}
	offs := s.b.Settings().Policy.Offsets
	if len(offs) == 0 {
		return &httpError{status: http.StatusNotFound, field: "offsetName", msg: "No consumption offsets configured: offsetName " + strconv.Quote(name) + " cannot be deleted"}
	}
	if !slices.ContainsFunc(offs, func(o config.Offset) bool { return o.Name == name }) {
		names := make([]string, len(offs))
		for i, o := range offs {
			names[i] = strconv.Quote(o.Name)
		}
		return &httpError{status: http.StatusNotFound, field: "offsetName", msg: "Offset not found: offsetName " + strconv.Quote(name) + " is not one of " + strings.Join(names, ", ")}
	}
	err = api.Change(s.b, func(set *config.Settings) error {
		set.Policy.Offsets = slices.DeleteFunc(slices.Clone(set.Policy.Offsets), func(o config.Offset) bool { return o.Name == name })
		return nil
	})
	if err := settingsError(err, offsetField("offsetName", "offsetName", "offsetName")); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"status": "success", "offsetName": name})
	return nil
}

// setConsumptionOffset sets TWCManager's single legacy offset {offset}, in A;
// 0 removes it.
func (s *server) setConsumptionOffset(w http.ResponseWriter, _ *http.Request, body []byte) error {
	f, err := parseFields(body)
	if err != nil {
		return err
	}
	amps, present, err := f.number("offset", "2.5")
	switch {
	case err != nil:
		return err
	case !present:
		return missing("offset", "the offset in A added to the consumption; 0 removes it")
	}
	err = api.Change(s.b, func(set *config.Settings) error {
		offs := slices.DeleteFunc(slices.Clone(set.Policy.Offsets), func(o config.Offset) bool { return o.Name == legacyOffset })
		if amps != 0 {
			offs = putOffset(set.Policy.Offsets, config.Offset{Name: legacyOffset, Value: amps, Unit: config.UnitAmps})
		}
		set.Policy.Offsets = offs
		return nil
	})
	if err := settingsError(err, offsetField("offset", "offset", "offset")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
