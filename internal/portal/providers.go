package portal

import (
	"context"
	"fmt"

	"gatehouse/internal/captcha"
	"gatehouse/internal/keys"
	"gatehouse/internal/mail"
	"gatehouse/internal/verify"
	"gatehouse/internal/verify/local"
	"gatehouse/internal/verify/twilio"
)

// verifier makes the verify backend the Config names.
func (p *Portal) verifier() (verify.Verifier, error) {
	cfg, d := p.Config, p.deps
	switch cfg.Verify {
	case "local":
		snd := d.SMS
		if snd == nil {
			var senders []local.Sender
			if cfg.SMSConsole {
				senders = append(senders, local.NewConsoleSender(d.Stderr))
			}
			if cfg.SMSOutbox != "off" {
				ob, err := local.NewOutboxSender(cfg.SMSOutbox)
				if err != nil {
					return nil, fmt.Errorf("sms outbox: %w", err)
				}
				senders = append(senders, ob)
			}
			snd = local.MultiSender(senders...)
		}
		return local.New(local.Options{
			Store: p.DB, Sender: snd, Issuer: cfg.Issuer, Now: d.Now,
			CodeKey: p.Ring.Derive(keys.PurposeCodeHash), SecretKey: p.Ring.Derive(keys.PurposeTOTPEncrypt),
		})
	case "twilio":
		o := p.twilioOptions()
		if o.AnonServiceSID == "" {
			p.Log.Warn("TWILIO_VERIFY_ANON_SERVICE_SID is not set: registrations and phone changes share the sign-in Verify service")
		}
		return twilio.New(o)
	default:
		return nil, fmt.Errorf("GATEHOUSE_VERIFY=%s is not supported", cfg.Verify)
	}
}

// twilioOptions are the adapter's options: from the Config, or the ones
// Deps gives (an emulator's), with the portal's issuer and log.
func (p *Portal) twilioOptions() twilio.Options {
	if o := p.deps.Twilio; o != nil {
		c := *o
		c.Issuer, c.Log = p.Config.Issuer, p.Log
		return c
	}
	t := p.Config.Twilio
	return twilio.Options{
		AccountSID: t.AccountSID, AuthToken: t.AuthToken, APIKeySID: t.APIKeySID, APIKeySecret: t.APIKeySecret,
		ServiceSID: t.ServiceSID, AnonServiceSID: t.AnonSID, MessagingFrom: t.MessagingFrom,
		BaseURL: t.BaseURL, Timeout: t.Timeout, Issuer: p.Config.Issuer, Log: p.Log,
	}
}

// captchaProvider makes the CAPTCHA the Config names.
func (p *Portal) captchaProvider() error {
	cfg := p.Config
	if cfg.Captcha == "pow" {
		pow, err := captcha.NewPoW(captcha.PoWOptions{
			Key: p.Ring.Derive(keys.PurposeCaptcha), UsedKey: p.Ring.Derive(keys.PurposeCaptchaUsed),
			Spender: p.DB, MaxNumber: cfg.PoWMaxNumber, Now: p.deps.Now,
		})
		if err != nil {
			return err
		}
		p.Captcha, p.PoW = pow, pow
		return nil
	}
	sv, err := captcha.NewSiteverify(captcha.SiteverifyOptions{
		Kind: cfg.Captcha, SiteKey: cfg.CaptchaSiteKey, Secret: cfg.CaptchaSecret,
		VerifyURL: cfg.CaptchaURL, Spender: p.DB, UsedKey: p.Ring.Derive(keys.PurposeCaptchaUsed), Now: p.deps.Now,
	})
	if err != nil {
		return err
	}
	p.Captcha = sv
	return nil
}

// mailer wires the email channel: SMTP when configured, otherwise the
// outbox file and the console (or the sender Deps gives); a queue in front,
// so that no request waits for or fails on a mail; and the notifier the
// domain mails owners with.
func (p *Portal) mailer() (*mail.Notifier, error) {
	m := p.Config.Mail
	snd := p.deps.Mail
	switch {
	case snd != nil:
	case m.SMTP != nil:
		s, err := mail.NewSMTPSender(mail.SMTPOptions{Server: *m.SMTP, From: m.From})
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		snd = s
	default:
		var senders []mail.Sender
		if m.Console {
			senders = append(senders, mail.NewConsoleSender(p.deps.Stderr))
		}
		if m.Outbox != "off" {
			ob, err := mail.NewOutboxSender(m.Outbox, nil)
			if err != nil {
				return nil, err
			}
			senders = append(senders, ob)
		}
		snd = mail.MultiSender(senders...)
	}
	q, err := mail.NewQueue(mail.QueueOptions{Sender: snd, Log: p.Log})
	if err != nil {
		return nil, err
	}
	p.mail = q
	return mail.NewNotifier(mail.NotifierOptions{
		Sender: q, Issuer: p.Config.Issuer, Portal: p.Config.BaseURL.String(),
		Address: func(ctx context.Context, userID string) (string, error) {
			u, err := p.DB.UserByID(ctx, userID)
			return u.Email, err
		},
	})
}
