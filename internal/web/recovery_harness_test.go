package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/mail"
	"gatehouse/internal/store"
)

// mailBase is the base of the links the harness's portal mails; tests
// follow a link by its path and query on the test server.
const mailBase = "http://gatehouse.test"

// settle waits until the portal's background steps (mails and the lookups
// behind them) are done.
func (h *harness) settle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.portal.FlushMail(ctx); err != nil {
		h.t.Fatalf("background steps: %v", err)
	}
}

// mailsTo returns the kinds of the mails sent to the address, oldest first.
func (h *harness) mailsTo(to string) []string {
	h.t.Helper()
	h.settle()
	var out []string
	for _, m := range h.mail.Messages() {
		if m.To == to {
			out = append(out, m.Kind)
		}
	}
	return out
}

// count returns how many of the kinds are kind. Mails of unrelated steps go
// out in the background, so tests count a kind rather than rely on order.
func count(kinds []string, kind string) int {
	n := 0
	for _, k := range kinds {
		if k == kind {
			n++
		}
	}
	return n
}

// link returns the path and query of the last link of kind mailed to the
// address, and registers its token with the leak check.
func (h *harness) link(to string, kind mail.NoticeKind) string {
	h.t.Helper()
	h.settle()
	msgs := h.mail.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.To != to || m.Kind != string(kind) {
			continue
		}
		links := mail.Links(m.Body)
		if len(links) != 1 || !strings.HasPrefix(links[0], mailBase+"/") {
			h.t.Fatalf("%s mail has links %v", kind, links)
		}
		u, err := url.Parse(links[0])
		if err != nil {
			h.t.Fatal(err)
		}
		h.seen.mu.Lock()
		h.seen.links = append(h.seen.links, u.Query().Get("token"))
		h.seen.mu.Unlock()
		return u.RequestURI()
	}
	h.t.Fatalf("no %s mail to %s", kind, to)
	return ""
}

// forgot asks for a reset link for email and checks the answer.
func (c *client) forgot(email string) resp {
	c.t.Helper()
	r := c.post("/password/forgot", url.Values{"email": {email}, "captcha": {c.captcha()}})
	expect(c.t, r, http.StatusSeeOther, "/password/forgot/sent")
	return r
}

// sessionLog reads the signed-in sessions the portal keeps, so tests can
// tell which a password change or reset ended.
type sessionLog struct{ h *harness }

// live returns the number of sessions of the account in the store.
func (l *sessionLog) live(userID string) int {
	l.h.t.Helper()
	var n int
	if err := l.h.db.SQL().QueryRow(`SELECT COUNT(*) FROM sessions WHERE user_id = `+l.h.ph(1), userID).Scan(&n); err != nil {
		l.h.t.Fatal(err)
	}
	return n
}

// recordLog reads the activity log the portal keeps.
type recordLog struct{ h *harness }

func (l *recordLog) list() []string {
	l.h.t.Helper()
	rows, err := l.h.db.SQL().Query(`SELECT event FROM activity ORDER BY at`)
	if err != nil {
		l.h.t.Fatal(err)
	}
	defer rows.Close()
	var events []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			l.h.t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

// ph is the n-th placeholder of a raw statement on the harness database.
func (h *harness) ph(n int) string {
	if h.db.Dialect() == store.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}
