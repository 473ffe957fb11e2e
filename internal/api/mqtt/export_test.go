package mqtt

// Test hooks for the external tests, which drive the appliance's own
// Service (the one appliance.New builds) so that no second service shares
// its topics.

// SetTimingForTest shortens the periods of a Service that is not running
// yet; zero fields keep theirs.
func (s *Service) SetTimingForTest(c Config) {
	if c.Recheck > 0 {
		s.cfg.Recheck = c.Recheck
	}
	if c.Sample > 0 {
		s.cfg.Sample = c.Sample
	}
	if c.MinGap > 0 {
		s.cfg.MinGap = c.MinGap
	}
	if c.Refresh > 0 {
		s.cfg.Refresh = c.Refresh
	}
	if c.Backoff != nil {
		s.cfg.Backoff = c.Backoff
	}
}

// DropConnectionForTest cuts the network connection without a goodbye, as
// a power cut or a pulled cable would; the service then reconnects.
func (s *Service) DropConnectionForTest() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live != nil && s.live.cm != nil {
		s.live.cm.TerminateConnectionForTest()
	}
}

// ClientIDForTest is the client identifier the service connects with.
func (s *Service) ClientIDForTest() string { return s.clientID }
