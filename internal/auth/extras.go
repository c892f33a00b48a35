package auth

// extras sets up the optional stores of o (activity, remembered devices,
// sessions, administration), each taken from o.Store when not given and
// the store has it.
func (s *Service) extras(o Options) {
	s.activityStore, _ = o.Store.(ActivityStore)
	s.activity = o.Activity
	if s.activity == nil && s.activityStore != nil {
		s.activity = StoreActivity{Store: s.activityStore, Now: s.now, Log: s.log}
	}
	s.devices = o.Devices
	if s.devices == nil {
		s.devices, _ = o.Store.(DeviceStore)
	}
	s.sessions = o.Sessions
	if s.sessions == nil {
		s.sessions, _ = o.Store.(SessionStore)
	}
	s.admin = o.Admin
	if s.admin == nil {
		s.admin, _ = o.Store.(AdminStore)
	}
}
