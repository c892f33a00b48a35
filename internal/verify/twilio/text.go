package twilio

import (
	"context"
	"log/slog"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"gatehouse/internal/verify"
)

// apiHost is the host the SDK sends Messaging API requests to. With a
// BaseURL other than the default they go there too, like Verify requests.
const apiHost = "api.twilio.com"

var _ verify.Texter = (*Client)(nil)

// SendText sends body to the E.164 number to through the Messaging API,
// from Options.MessagingFrom. Without MessagingFrom it sends nothing and
// logs that it skipped the message. It is never retried.
func (c *Client) SendText(ctx context.Context, to, body string) error {
	const op = "send text"
	if !e164Re.MatchString(to) {
		return invalid(op, "number is not E.164")
	}
	if c.from == "" {
		c.log.Info("twilio text skipped: TWILIO_MESSAGING_FROM is not set", slog.String("to", maskPhone(to)))
		return nil
	}
	return c.doWith(ctx, op, false, func(h *client.RequestHandler) error {
		p := (&openapi.CreateMessageParams{}).SetPathAccountSid(c.accountSID).SetTo(to).SetBody(body)
		if messagingSIDRe.MatchString(c.from) {
			p.SetMessagingServiceSid(c.from)
		} else {
			p.SetFrom(c.from)
		}
		_, err := openapi.NewApiService(h).CreateMessage(p)
		return err
	}, slog.String("to", maskPhone(to)))
}
