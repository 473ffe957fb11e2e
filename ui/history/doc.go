// Package historyui is the history page: a period picker (day, week, month,
// year), a chart drawn on the server as SVG, the period's energy totals,
// its charging sessions, the lifetime energy per charger and per car, and
// CSV downloads.
//
// Register adds GET /history, GET /history/sessions.csv and
// GET /history/daily.csv. All three take ?period=day|week|month|year and
// ?date=YYYY-MM-DD (any day in the period); the default is the current
// month in local time.
package historyui
