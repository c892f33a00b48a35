package web

import "net/http"

// activityLimit bounds the full activity list; the retention period
// bounds it too.
const activityLimit = 1000

// activityPage serves GET /account/activity: the account's security
// activity, newest first.
func (s *server) activityPage(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	s.show(w, r, "account_activity", func() (*view, error) {
		vw, err := s.memberView(ctx, v, "Security activity")
		if err != nil {
			return nil, err
		}
		events, err := s.auth.RecentActivity(ctx, v.userID, activityLimit)
		if err != nil {
			return nil, err
		}
		vw.Activity = eventRows(events)
		return vw, nil
	})
}
