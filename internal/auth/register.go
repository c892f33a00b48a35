package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gatehouse/internal/mail"
	"gatehouse/internal/password"
	"gatehouse/internal/store"
	"gatehouse/internal/verify"
)

// Registration is a sign-up in progress. It lives only in the session; no
// account row exists until the phone number is verified.
type Registration struct {
	ID           string // random; the subject of its verification
	FirstName    string
	LastName     string
	Email        string
	PasswordHash string
	Phone        string // E.164, set by the credentials step
	CodeSent     bool
	StartedAt    time.Time
	// Where it started, for the mails it causes.
	IP, UserAgent string
	// Notified: the email already has an account, whose owner was told of
	// this attempt; the registration goes on as any other but creates
	// nothing (see RegisterStart).
	Notified bool
}

// Stage reports how far the registration got: 1 details given, 2 code sent.
func (r Registration) Stage() int {
	if r.CodeSent {
		return 2
	}
	if r.Email != "" {
		return 1
	}
	return 0
}

// RegisterInput is the first registration step.
type RegisterInput struct {
	FirstName, LastName, Email, Captcha, IP, UserAgent string
}

func (s *Service) regAlive(r Registration) error {
	if r.Email == "" || r.ID == "" || s.now().Sub(r.StartedAt) > s.lim.RegistrationTTL {
		return ErrStepExpired
	}
	return nil
}

// RegisterStart checks the details and the CAPTCHA. An email that already
// has an account is not refused, which would tell anyone which addresses
// have accounts: the registration goes on exactly as for a new address, its
// owner is mailed a NoticeRegisterAttempt, and the last step creates
// nothing (RegisterVerify).
func (s *Service) RegisterStart(ctx context.Context, in RegisterInput) (Registration, error) {
	first, fm := checkName(in.FirstName, "first name")
	last, lm := checkName(in.LastName, "last name")
	email, em := checkEmail(in.Email)
	if fm != "" || lm != "" || em != "" {
		ve := invalid()
		for k, v := range map[string]string{"first_name": fm, "last_name": lm, "email": em} {
			if v != "" {
				ve.Fields[k] = v
			}
		}
		return Registration{}, ve
	}
	if err := s.take(ctx, "reg-ip:"+s.subject("ip", in.IP), s.lim.RegistrationsPerIP, time.Hour,
		"Too many sign-ups from your network."); err != nil {
		return Registration{}, err
	}
	if err := s.captcha.Verify(ctx, in.Captcha, in.IP); err != nil {
		s.log.Info("captcha refused", "step", "register", "err", err)
		return Registration{}, fmt.Errorf("%w (%w)", ErrCaptcha, err)
	}
	taken, err := s.st.EmailExists(ctx, email)
	if err != nil {
		return Registration{}, fmt.Errorf("auth: register: %w", err)
	}
	r := Registration{FirstName: first, LastName: last, Email: email, StartedAt: s.now(), IP: in.IP, UserAgent: in.UserAgent}
	if taken {
		s.registerAttempt(r)
		r.Notified = true
	}
	id, err := s.randomID(16)
	if err != nil {
		return Registration{}, err
	}
	r.ID = id
	return r, nil
}

// RegisterCredentials sets the password and phone number and sends the
// first code to that number. Every limit runs before the password is
// hashed, so a refused request costs no hashing work.
func (s *Service) RegisterCredentials(ctx context.Context, r Registration, pw, phoneRaw, ip string) (Registration, error) {
	if err := s.regAlive(r); err != nil {
		return r, err
	}
	pm := password.Check(pw, r.Email, r.FirstName, r.LastName)
	num, phm := s.checkPhone(phoneRaw)
	if pm != "" || phm != "" {
		ve := invalid()
		if pm != "" {
			ve.Fields["password"] = pm
		}
		if phm != "" {
			ve.Fields["phone"] = phm
		}
		return r, ve
	}
	if err := s.sendCode(ctx, smsSend{target: r.target(num), ip: ip, fresh: true}); err != nil {
		return r, err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return r, fmt.Errorf("auth: hash: %w", err)
	}
	r.PasswordHash, r.Phone, r.CodeSent = hash, num, true
	return r, nil
}

// RegisterResend sends a fresh code to the registration's number.
func (s *Service) RegisterResend(ctx context.Context, r Registration, ip string) error {
	if err := s.regAlive(r); err != nil {
		return err
	}
	if !r.CodeSent {
		return ErrNoCodeSent
	}
	return s.sendCode(ctx, smsSend{target: r.target(r.Phone), ip: ip})
}

// target is the verification of the registration to phone.
func (r Registration) target(phone string) verify.Target {
	return verify.Target{Purpose: verify.PurposeRegister, Subject: r.ID, Phone: phone}
}

// RegisterVerify checks the code and, when the provider approves it, creates
// the account with the phone verified and the MFA flag on, and mails it a
// link that verifies the address. When the email has an account already
// (from the start, or registered meanwhile), nothing is created, the
// owner is told, and the answer is the same as for a success with a zero
// Account: the caller cannot and must not tell the two apart.
func (s *Service) RegisterVerify(ctx context.Context, r Registration, code string) (Account, error) {
	if err := s.regAlive(r); err != nil {
		return Account{}, err
	}
	if !r.CodeSent {
		return Account{}, ErrNoCodeSent
	}
	c, err := checkDigits("code", code)
	if err != nil {
		return Account{}, err
	}
	if err := s.checkCode(ctx, r.target(r.Phone), c); err != nil {
		return Account{}, err
	}
	u, err := s.createUser(ctx, store.User{
		Email: r.Email, FirstName: r.FirstName, LastName: r.LastName,
		PasswordHash: r.PasswordHash, Phone: r.Phone, MFAEnabled: true,
	})
	if errors.Is(err, ErrEmailTaken) {
		if !r.Notified {
			s.registerAttempt(r)
		}
		s.log.Info("registration for an address with an account ended; nothing created")
		return Account{}, nil
	}
	if err != nil {
		return Account{}, err
	}
	s.log.Info("account created", "user", u.ID)
	s.sendVerification(u.ID, r.IP, r.UserAgent)
	return accountOf(u), nil
}

// createUser gives u its id, its identity at the verify provider and its
// times, and inserts it; a taken email is ErrEmailTaken.
func (s *Service) createUser(ctx context.Context, u store.User) (store.User, error) {
	var err error
	if u.ID, err = s.randomID(16); err != nil {
		return store.User{}, err
	}
	if u.VerifyIdentity, err = s.newIdentity(); err != nil {
		return store.User{}, err
	}
	u.CreatedAt = s.now()
	u.UpdatedAt = u.CreatedAt
	if err := s.st.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.User{}, ErrEmailTaken
		}
		return store.User{}, fmt.Errorf("auth: create user: %w", err)
	}
	return u, nil
}

// newIdentity returns a random UUID (version 4) for the verify provider.
func (s *Service) newIdentity() (string, error) {
	h, err := s.randomID(16)
	if err != nil {
		return "", err
	}
	b := []byte(h)
	b[12] = '4'
	b[16] = "89ab"[b[16]%4]
	return fmt.Sprintf("%s-%s-%s-%s-%s", b[0:8], b[8:12], b[12:16], b[16:20], b[20:32]), nil
}

// CreateUserInput is an account imported by an administrator.
type CreateUserInput struct {
	Email, FirstName, LastName, Password, Phone string
}

// CreateUser creates an active account with the MFA flag off (the admin
// import path): its owner sets up SMS verification at the next sign-in.
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (Account, error) {
	first, fm := checkName(in.FirstName, "first name")
	last, lm := checkName(in.LastName, "last name")
	email, em := checkEmail(in.Email)
	ve := invalid()
	for k, v := range map[string]string{"first_name": fm, "last_name": lm, "email": em} {
		if v != "" {
			ve.Fields[k] = v
		}
	}
	if m := password.Check(in.Password, email, first, last); m != "" {
		ve.Fields["password"] = m
	}
	var num string
	if in.Phone != "" {
		var pm string
		if num, pm = s.checkPhone(in.Phone); pm != "" {
			ve.Fields["phone"] = pm
		}
	}
	if len(ve.Fields) > 0 {
		return Account{}, ve
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return Account{}, fmt.Errorf("auth: hash: %w", err)
	}
	u, err := s.createUser(ctx, store.User{Email: email, FirstName: first, LastName: last, PasswordHash: hash, Phone: num})
	if err != nil {
		return Account{}, err
	}
	return accountOf(u), nil
}

// registerAttempt tells the owner of r's email, in the background, that
// someone tried to register it again.
func (s *Service) registerAttempt(r Registration) {
	now := s.now()
	s.later("register attempt notice", func(ctx context.Context) error {
		u, err := s.st.UserByEmail(ctx, r.Email)
		if err != nil {
			return fmt.Errorf("auth: register attempt: %w", err)
		}
		return s.notifier.Notify(ctx, u.ID, mail.Notice{Kind: mail.NoticeRegisterAttempt, When: now, IP: r.IP, Browser: r.UserAgent})
	})
}
