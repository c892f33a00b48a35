package twiliotest

import (
	"net/http"
	"regexp"
	"strings"

	"gatehouse/internal/verify"
)

// This file holds what the emulator adds beyond checking codes: canceling
// a verification, and the Messaging API's plain texts.

var (
	verificationPath = regexp.MustCompile(`^/Verifications/([^/]+)$`)
	messagesPath     = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages\.json$`)
)

// target is the engine's verification of service svc to the number to:
// like Twilio, the emulator keeps one verification per service and number.
func target(svc, to string) verify.Target {
	return verify.Target{Purpose: svc, Subject: to, Phone: to}
}

// Text is one message sent through the Messaging API.
type Text struct {
	To, From, MessagingServiceSID, Body string
}

// Texts returns every message sent to the number to through the
// Messaging API, oldest first.
func (e *Emulator) Texts(to string) []Text {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Text
	for _, t := range e.texts {
		if t.To == to {
			out = append(out, t)
		}
	}
	return out
}

// updateVerification serves POST /Verifications/{Sid or To} with
// Status=canceled (or approved, which the portal never sends): the pending
// verification is canceled and answered with status "canceled"; none is
// 20404.
func (e *Emulator) updateVerification(w *statusWriter, r *http.Request, svc, id string) {
	status := r.PostForm.Get("Status")
	if status != "canceled" {
		e.writeError(w, 60200, http.StatusBadRequest, "Invalid parameter: Status")
		return
	}
	e.mu.Lock()
	to := id
	if strings.HasPrefix(id, "VE") {
		to = ""
		if rec := e.verifications[id]; rec != nil && rec.service == svc {
			to = rec.to
		}
	}
	rec := e.verifications[e.current[svc+"/"+to]]
	e.mu.Unlock()
	if to == "" || rec == nil {
		e.notFound(w, r)
		return
	}
	if err := e.engine.CancelSMS(r.Context(), target(svc, to)); err != nil {
		e.engineError(w, err, 60202)
		return
	}
	e.mu.Lock()
	delete(e.current, svc+"/"+to)
	rec.updated = e.now()
	body := e.verificationJSON(rec, "canceled")
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// createMessage serves POST /2010-04-01/Accounts/{AccountSid}/Messages.json.
func (e *Emulator) createMessage(w *statusWriter, r *http.Request) {
	t := Text{To: r.PostForm.Get("To"), From: r.PostForm.Get("From"),
		MessagingServiceSID: r.PostForm.Get("MessagingServiceSid"), Body: r.PostForm.Get("Body")}
	if t.To == "" || t.Body == "" || (t.From == "") == (t.MessagingServiceSID == "") {
		e.writeError(w, 21604, http.StatusBadRequest, "A 'To' phone number, a 'Body' and one of 'From' or 'MessagingServiceSid' are required")
		return
	}
	e.mu.Lock()
	e.texts = append(e.texts, t)
	e.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"sid": "SM" + randomHex(), "account_sid": e.opts.AccountSID, "to": t.To, "body": t.Body, "status": "queued",
	})
}
