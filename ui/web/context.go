package web

import (
	"context"
	"net/http"
)

type ctxKey int

const sessionKey ctxKey = iota

// WithSession returns r carrying the visitor's session.
func WithSession(r *http.Request, s *Session) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), sessionKey, s))
}

// SessionOf returns the session the server put on the request.
func SessionOf(r *http.Request) *Session {
	s, _ := r.Context().Value(sessionKey).(*Session)
	if s == nil {
		return &Session{}
	}
	return s
}
