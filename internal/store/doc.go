// Package store is twcmanager's one database file, in bbolt: schema version
// and migrations, settings, and secrets kept in a bucket of their own.
//
// Open refuses a file at the data path that is not a twcmanager database
// (foreign, corrupt, or written by a newer version) and never writes to it:
// the error says where the file is and how to move it aside. History keeps
// its own buckets in the same file through Update and View.
//
// Durability: every call that changes settings or secrets commits before it
// returns (bbolt fsyncs each transaction).
//
// Buckets (schema 2):
//
//	meta      app = "twcmanager", schema = 2
//	settings  current = settings as JSON (no secrets in it)
//	secrets   name → value; never returned by any page or API
//	sessions  id (uint64 BE) → session JSON        (history)
//	samples   unix minute (uint64 BE) → sample      (history)
//	quarters  unix quarter-hour → aggregate         (history)
//	lifetime  "charger/<ID>" or "car/<VIN>" → Wh   (history)
package store
