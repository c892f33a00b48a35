package web

import "net/http"

// routes registers every route of the portal. Pages and actions run inside
// a session and behind a gate saying who may reach them; static files, the
// health check and the CAPTCHA challenge need neither.
func (s *server) routes() {
	m := s.mux

	m.Handle("GET /static/", s.assets)
	m.HandleFunc("GET /healthz", s.health)
	m.HandleFunc("GET /readyz", s.readiness)
	if s.pow != nil {
		m.HandleFunc("GET /captcha/challenge", s.captchaChallenge)
	}

	m.Handle("GET /{$}", s.page(anyone, s.home))

	// Registration: anonymous visitors only. Pages.
	m.Handle("GET /register", s.page(guests, s.registerPage))
	m.Handle("POST /register", s.page(guests, s.registerStart))
	m.Handle("GET /register/credentials", s.page(guests, s.withRegistration(s.credentialsPage)))
	m.Handle("POST /register/credentials", s.page(guests, s.withRegistration(s.registerCredentials)))
	m.Handle("GET /register/verify", s.page(guests, s.withRegistration(s.registerVerifyPage)))
	m.Handle("POST /register/verify", s.page(guests, s.withRegistration(s.registerVerify)))
	m.Handle("POST /register/resend", s.page(guests, s.withRegistration(s.registerResend)))

	// Sign-in: the password step, then the second factor. Pages, but for
	// the authenticator check (JSON first, as in the seeds) and the backup
	// code (pages first, JSON on request).
	m.Handle("GET /login", s.page(guests, s.loginPage))
	m.Handle("POST /login", s.page(guests, s.login))
	m.Handle("GET /login/mfa", s.page(pending, s.mfaPage))
	m.Handle("POST /login/mfa/setup", s.page(pending, s.mfaSetup))
	m.Handle("POST /login/mfa/sms", s.page(pending, s.mfaSMS))
	m.Handle("GET /login/mfa/code", s.page(pending, s.mfaCodePage))
	m.Handle("POST /login/mfa/code", s.page(pending, s.mfaCode))
	m.Handle("POST /login/mfa/resend", s.page(pending, s.mfaResend))
	m.Handle("GET /login/mfa/totp", s.page(pending, s.totpPage))
	m.Handle("POST /validate-totp-code/", s.json(pending, s.validateTOTP))
	m.Handle("GET /login/mfa/backup", s.page(pending, s.backupPage))
	m.Handle("POST /login/mfa/backup", s.pageFirst(pending, s.backupLogin))

	// Signed in. Pages, but for the seed's authenticator and backup-code
	// endpoints: JSON for the account page's script, pages for plain form
	// posts.
	m.Handle("GET /dashboard", s.page(members, s.dashboard))
	m.Handle("GET /account", s.page(members, s.accountPage))
	// Changing how the account is protected needs a fresh second factor
	// (freshPage, freshAPI): the step-up pages ask for one and come back.
	m.Handle("GET /account/step-up", s.page(members, s.stepUpPage))
	m.Handle("POST /account/step-up", s.page(members, s.stepUp))
	m.Handle("POST /account/step-up/sms", s.page(members, s.stepUpSMS))
	m.Handle("GET /account/phone", s.page(members, s.freshPage("/account/phone", s.phonePage)))
	m.Handle("POST /account/phone", s.page(members, s.freshPage("/account/phone", s.phoneStart)))
	m.Handle("GET /account/phone/verify", s.page(members, s.withPhoneChange(s.phoneVerifyPage)))
	m.Handle("POST /account/phone/verify", s.page(members, s.freshPage("/account/phone", s.withPhoneChange(s.phoneVerify))))
	m.Handle("POST /account/phone/resend", s.page(members, s.withPhoneChange(s.phoneResend)))
	m.Handle("GET /account/phone/confirm", s.page(members, s.withPhoneChange(s.phoneConfirmPage)))
	m.Handle("POST /account/phone/confirm", s.page(members, s.freshPage("/account/phone", s.withPhoneChange(s.phoneConfirm))))
	m.Handle("POST /account/phone/cancel", s.page(members, s.phoneCancel))
	m.Handle("POST /generate-totp-factor/", s.json(members, s.generateTOTP))
	m.Handle("POST /confirm-totp-enrollment/", s.json(members, s.confirmTOTP))
	m.Handle("GET /account/authenticator/remove", s.page(members, s.freshPage("/account/authenticator/remove", s.removePage)))
	m.Handle("POST /remove-totp-device/", s.json(members, s.freshAPI("/account/authenticator/remove", s.removeTOTP)))
	m.Handle("GET /account/backup-codes", s.page(members, s.freshPage("/account/backup-codes", s.backupCodesPage)))
	m.Handle("POST /generate-backup-codes/", s.json(members, s.freshAPI("/account/backup-codes", s.generateBackupCodes)))
	m.Handle("GET /account/sessions", s.page(members, s.sessionsPage))
	m.Handle("POST /account/sessions/revoke", s.page(members, s.revokeSessions))
	m.Handle("POST /account/devices/forget", s.page(members, s.forgetDevices))
	m.Handle("GET /account/activity", s.page(members, s.activityPage))

	m.Handle("GET /logout", s.page(anyone, s.logoutPage))
	// Recovery and the email channel (recovery.go, password.go, email.go).
	// Pages.
	m.Handle("GET /password/forgot", s.page(guests, s.forgotPage))
	m.Handle("POST /password/forgot", s.page(guests, s.forgot))
	m.Handle("GET /password/forgot/sent", s.page(guests, s.forgotSentPage))
	m.Handle("GET /password/reset", s.page(guests, s.resetPage))
	m.Handle("POST /password/reset/sms", s.page(guests, s.withReset(s.resetSMS)))
	m.Handle("GET /password/reset/code", s.page(guests, s.withReset(s.resetCodePage)))
	m.Handle("POST /password/reset/code", s.page(guests, s.withReset(s.resetCode)))
	m.Handle("GET /password/reset/new", s.page(guests, s.withReset(s.resetNewPage)))
	m.Handle("POST /password/reset/new", s.page(guests, s.withReset(s.resetNew)))
	m.Handle("GET /account/password", s.page(members, s.freshPage("/account/password", s.passwordPage)))
	m.Handle("POST /account/password", s.page(members, s.freshPage("/account/password", s.changePassword)))
	m.Handle("POST /account/email/resend", s.page(members, s.emailResend))
	m.Handle("GET /verify-email", s.page(anyone, s.verifyEmail))

	m.Handle("POST /logout", s.page(anyone, s.logout))

	// Forward authentication for reverse proxies: their own handlers, which
	// read the session and never save it (authz.go).
	m.HandleFunc("GET /api/authz/forward-auth", s.authzForward)
	m.HandleFunc("GET /api/authz/auth-request", s.authzRequest)

	// A POST address of a page flow opened as a page (a reload after an
	// answer, a shared link) goes to the page of the step, never to "Not
	// allowed". The seed's JSON endpoints keep answering GET with 405.
	for post, page := range map[string]string{
		"/register/resend":      "/register/verify",
		"/login/mfa/setup":      "/login/mfa",
		"/login/mfa/sms":        "/login/mfa",
		"/login/mfa/resend":     "/login/mfa/code",
		"/account/phone/resend": "/account/phone/verify",
		"/account/phone/cancel": "/account",
	} {
		m.Handle("GET "+post, s.page(anyone, goTo(page)))
	}
}

// goTo answers with a redirect to page; the page's own gate then sends a
// visitor who is elsewhere in the flows to where they stand.
func goTo(page string) visitorHandler {
	return func(w http.ResponseWriter, r *http.Request, _ visitor) {
		http.Redirect(w, r, page, http.StatusSeeOther)
	}
}

// home sends the visitor to where they stand.
func (s *server) home(w http.ResponseWriter, r *http.Request, v visitor) {
	to := "/login"
	switch v.stage {
	case signedIn:
		to = "/dashboard"
	case preAuth:
		to = "/login/mfa"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
