package web

import "net/http"

// routes registers every route of the portal. Pages and actions run inside
// a session and behind a gate saying who may reach them; static files, the
// health check and the CAPTCHA challenge need neither.
func (s *server) routes() {
	m := s.mux

	m.Handle("GET /static/", s.assets)
	m.HandleFunc("GET /healthz", s.health)
	if s.pow != nil {
		m.HandleFunc("GET /captcha/challenge", s.captchaChallenge)
	}

	m.Handle("GET /{$}", s.anyone(s.home))

	// Registration: anonymous visitors only.
	m.Handle("GET /register", s.guestOnly(s.registerPage))
	m.Handle("POST /register", s.guestOnly(s.registerStart))
	m.Handle("GET /register/credentials", s.guestOnly(s.withRegistration(s.credentialsPage)))
	m.Handle("POST /register/credentials", s.guestOnly(s.withRegistration(s.registerCredentials)))
	m.Handle("GET /register/verify", s.guestOnly(s.withRegistration(s.registerVerifyPage)))
	m.Handle("POST /register/verify", s.guestOnly(s.withRegistration(s.registerVerify)))
	m.Handle("POST /register/resend", s.guestOnly(s.withRegistration(s.registerResend)))

	// Sign-in: the password step, then the second factor.
	m.Handle("GET /login", s.guestOnly(s.loginPage))
	m.Handle("POST /login", s.guestOnly(s.login))
	m.Handle("GET /login/mfa", s.pendingOnly(s.mfaPage))
	m.Handle("POST /login/mfa/setup", s.pendingOnly(s.mfaSetup))
	m.Handle("POST /login/mfa/sms", s.pendingOnly(s.mfaSMS))
	m.Handle("GET /login/mfa/code", s.pendingOnly(s.mfaCodePage))
	m.Handle("POST /login/mfa/code", s.pendingOnly(s.mfaCode))
	m.Handle("POST /login/mfa/resend", s.pendingOnly(s.mfaResend))
	m.Handle("GET /login/mfa/totp", s.pendingOnly(s.totpPage))
	m.Handle("POST /validate-totp-code/", s.api(pending, false, s.validateTOTP))
	m.Handle("GET /login/mfa/backup", s.pendingOnly(s.backupPage))
	m.Handle("POST /login/mfa/backup", s.api(pending, true, s.backupLogin))

	// Signed in.
	m.Handle("GET /dashboard", s.membersOnly(s.dashboard))
	m.Handle("GET /account", s.membersOnly(s.accountPage))
	m.Handle("GET /account/phone", s.membersOnly(s.phonePage))
	m.Handle("POST /account/phone", s.membersOnly(s.phoneStart))
	m.Handle("GET /account/phone/verify", s.membersOnly(s.withPhoneChange(s.phoneVerifyPage)))
	m.Handle("POST /account/phone/verify", s.membersOnly(s.withPhoneChange(s.phoneVerify)))
	m.Handle("POST /account/phone/resend", s.membersOnly(s.withPhoneChange(s.phoneResend)))
	m.Handle("GET /account/phone/confirm", s.membersOnly(s.withPhoneChange(s.phoneConfirmPage)))
	m.Handle("POST /account/phone/confirm", s.membersOnly(s.withPhoneChange(s.phoneConfirm)))
	m.Handle("POST /account/phone/cancel", s.membersOnly(s.phoneCancel))
	// The authenticator app and backup codes: JSON for the account page's
	// script, pages for plain form posts (api.go).
	m.Handle("POST /generate-totp-factor/", s.api(signedIn, false, s.generateTOTP))
	m.Handle("POST /confirm-totp-enrollment/", s.api(signedIn, false, s.confirmTOTP))
	m.Handle("GET /account/authenticator/remove", s.membersOnly(s.removePage))
	m.Handle("POST /remove-totp-device/", s.api(signedIn, false, s.removeTOTP))
	m.Handle("GET /account/backup-codes", s.membersOnly(s.backupCodesPage))
	m.Handle("POST /generate-backup-codes/", s.api(signedIn, false, s.generateBackupCodes))

	m.Handle("POST /logout", s.anyone(s.logout))
}

// home sends the visitor to where they stand.
func (s *server) home(w http.ResponseWriter, r *http.Request, v visitor) {
	to := "/login"
	switch v.stage {
	case signedIn:
		to = "/dashboard"
	case pending:
		to = "/login/mfa"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
