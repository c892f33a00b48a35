package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"gatehouse/internal/portal"
	"io"
	"text/tabwriter"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/useragent"
)

// The account administration commands: disable, enable, delete, sessions,
// activity and reset-mfa. Each finds the account by --email in an
// existing database and never creates one.

// adminCmd is one administration command: its flags beyond the common ones
// and what it does to the account.
type adminCmd struct {
	usage string
	flags func(fs *flag.FlagSet)
	run   func(ctx context.Context, a *portal.Portal, acct auth.Account, stdout io.Writer) error
}

// adminCmds are the administration commands by name.
func adminCmds() map[string]func() adminCmd {
	return map[string]func() adminCmd{
		"disable": func() adminCmd {
			return adminCmd{usage: "--email E   disable the account and end its sessions",
				run: func(ctx context.Context, a *portal.Portal, acct auth.Account, out io.Writer) error {
					if err := a.Auth.SetDisabled(ctx, acct.ID, true); err != nil {
						return err
					}
					fmt.Fprintf(out, "disabled %s; its sessions have ended\n", acct.Email)
					return nil
				}}
		},
		"enable": func() adminCmd {
			return adminCmd{usage: "--email E   let a disabled account sign in again",
				run: func(ctx context.Context, a *portal.Portal, acct auth.Account, out io.Writer) error {
					if err := a.Auth.SetDisabled(ctx, acct.ID, false); err != nil {
						return err
					}
					fmt.Fprintf(out, "enabled %s\n", acct.Email)
					return nil
				}}
		},
		"delete":    deleteCmd,
		"sessions":  sessionsCmd,
		"activity":  activityCmd,
		"reset-mfa": resetMFACmd,
	}
}

func deleteCmd() adminCmd {
	var yes bool
	return adminCmd{usage: "--email E --yes   delete the account and everything of it",
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&yes, "yes", false, "confirm the deletion (required)") },
		run: func(ctx context.Context, a *portal.Portal, acct auth.Account, out io.Writer) error {
			if !yes {
				return fmt.Errorf("deleting %s cannot be undone: add --yes to confirm", acct.Email)
			}
			if err := a.Auth.DeleteAccount(ctx, acct.ID); err != nil {
				return err
			}
			fmt.Fprintf(out, "deleted %s\n", acct.Email)
			return nil
		}}
}

func sessionsCmd() adminCmd {
	var revoke bool
	return adminCmd{usage: "--email E [--revoke-all]   list (or end) the account's signed-in sessions",
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&revoke, "revoke-all", false, "end every session of the account") },
		run: func(ctx context.Context, a *portal.Portal, acct auth.Account, out io.Writer) error {
			if revoke {
				n, err := a.Auth.RevokeOtherSessions(ctx, acct.ID, "")
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "ended %d session(s) of %s\n", n, acct.Email)
				return nil
			}
			list, err := a.Auth.Sessions(ctx, acct.ID, "")
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSIGNED IN\tLAST SEEN\tIP\tBROWSER")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, stamp(s.CreatedAt), stamp(s.LastSeen), s.IP, useragent.Parse(s.UserAgent))
			}
			return tw.Flush()
		}}
}

func activityCmd() adminCmd {
	var asJSON bool
	var limit int
	return adminCmd{usage: "--email E [--json] [--limit N]   the account's security activity, newest first",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "one JSON object per line")
			fs.IntVar(&limit, "limit", 0, "at most N events (0: all kept)")
		},
		run: func(ctx context.Context, a *portal.Portal, acct auth.Account, out io.Writer) error {
			events, err := a.Auth.RecentActivity(ctx, acct.ID, limit)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(out)
				for _, e := range events {
					if err := enc.Encode(map[string]string{"at": e.At.UTC().Format(time.RFC3339), "event": e.Event,
						"ip": e.IP, "user_agent": e.UserAgent, "detail": e.Detail}); err != nil {
						return fmt.Errorf("write: %w", err)
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "AT\tEVENT\tDETAIL\tIP\tBROWSER")
			for _, e := range events {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", stamp(e.At), e.Event, e.Detail, e.IP, useragent.Parse(e.UserAgent))
			}
			return tw.Flush()
		}}
}

func resetMFACmd() adminCmd {
	return adminCmd{usage: "--email E   remove the authenticator, backup codes and remembered devices; MFA flag off",
		run: func(ctx context.Context, a *portal.Portal, acct auth.Account, out io.Writer) error {
			if err := a.Auth.ResetMFA(ctx, acct.ID); err != nil {
				return err
			}
			fmt.Fprintf(out, "reset MFA of %s: SMS verification is set up again at the next sign-in\n", acct.Email)
			return nil
		}}
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

// userAdmin runs the administration command name.
func userAdmin(ctx context.Context, name string, mk func() adminCmd, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := mk()
	fs := flag.NewFlagSet("user "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gatehouse user %s %s\n", name, cmd.usage)
		fs.PrintDefaults()
	}
	email := fs.String("email", "", "email address of the account (required)")
	db := dbFlags(fs)
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("user %s: --email is required", name)
	}
	a, err := db.open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	acct, err := a.Auth.AccountByEmail(ctx, *email)
	if errors.Is(err, auth.ErrNoAccount) {
		return fmt.Errorf("no account with email %s", *email)
	}
	if err != nil {
		return err
	}
	return cmd.run(ctx, a, acct, stdout)
}

// userAdminNames lists the administration commands for usage lines.
const userAdminNames = "disable|enable|delete|sessions|activity|reset-mfa"
