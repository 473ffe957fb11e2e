// Package config holds twcmanager's typed settings: wiring limits, electrical
// facts, and the charging policy. Defaults returns a complete, valid set;
// Validate names every field that is wrong, the value, and what is allowed;
// ImportTWCManager reads a TWCManager config.json (and settings.json) into
// these settings and lists the keys it could not map.
//
// Settings are plain values: changing them means building a new Settings and
// validating it, so a rejected change never touches the settings in force.
package config
