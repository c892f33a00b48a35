package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"gatehouse/internal/auth"
	"gatehouse/internal/phone"
)

func user(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: missing user command\n%s", errUsage, userUsage)
	}
	if mk, ok := adminCmds()[args[0]]; ok {
		return userAdmin(ctx, args[0], mk, args[1:], getenv, stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, userUsage)
		return nil
	case "add":
		return userAdd(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "list":
		return userList(ctx, args[1:], getenv, stdout, stderr)
	case "unlock":
		return userUnlock(ctx, args[1:], getenv, stdout, stderr)
	case "show":
		return userShow(ctx, args[1:], getenv, stdout, stderr)
	case "groups":
		return userGroups(ctx, args[1:], getenv, stdout, stderr)
	default:
		return fmt.Errorf("%w: unknown user command %q\n%s", errUsage, args[0], userUsage)
	}
}

// userUsage lists the account commands. Each takes --data-dir or
// --database-url, which must name the database serve uses.
const userUsage = `usage: gatehouse user COMMAND [flags]

Commands:
  add --email E --first-name F --last-name L [--phone P]   import an account (password on stdin)
  list                                                     list accounts
  show --email E                                           one account, with its groups
  groups --email E --set a,b | --add a,b | --remove c      the groups access rules name
  unlock --email E                                         end the account's sign-in waits
  disable|enable --email E                                 stop or allow sign-in (disable ends sessions)
  delete --email E --yes                                   delete an account
  sessions --email E [--revoke-all]                        list or end its sessions
  activity --email E [--json] [--limit N]                  its security activity
  reset-mfa --email E                                      remove authenticator, backup codes, devices

Every command takes -data-dir DIR or -database-url URL (default: GATEHOUSE_DATA_DIR,
GATEHOUSE_DATABASE_URL) and must point at the same database as gatehouse serve.
gatehouse user COMMAND --help shows a command's flags.`

func userAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address (required)")
	first := fs.String("first-name", "", "first name (required)")
	last := fs.String("last-name", "", "last name (required)")
	ph := fs.String("phone", "", "phone number on file (optional)")
	db := dbFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	a, err := db.open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Auth.CreateUser(ctx, auth.CreateUserInput{Email: *email, FirstName: *first, LastName: *last, Password: pw, Phone: *ph})
	var ve *auth.ValidationError
	if errors.As(err, &ve) {
		keys := make([]string, 0, len(ve.Fields))
		for k := range ve.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "\n  %s: %s", strings.ReplaceAll(k, "_", "-"), ve.Fields[k])
		}
		return fmt.Errorf("cannot add user:%s", b.String())
	}
	if err != nil {
		return fmt.Errorf("cannot add user: %s", auth.Message(err))
	}
	fmt.Fprintf(stdout, "added %s (MFA not set up; set up at first sign-in)\n", u.Email)
	return nil
}

// readPassword reads the first line of stdin, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("read password: give the password on standard input")
	}
	return line, nil
}

func userList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := db.open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	users, err := a.DB.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tNAME\tPHONE\tMFA\tCREATED")
	for _, u := range users {
		mfa := "off"
		if u.MFAEnabled {
			mfa = "on"
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\n", u.Email, u.FirstName, u.LastName,
			phone.Mask(u.Phone, a.Config.DefaultRegion), mfa, u.CreatedAt.Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

// userUnlock ends every sign-in wait of an account: its own and that of
// every network its email was guessed from.
func userUnlock(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user unlock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address (required)")
	db := dbFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("usage: gatehouse user unlock --email E")
	}
	a, err := db.open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Auth.Unlock(ctx, *email); err != nil {
		return fmt.Errorf("cannot unlock: %s", auth.Message(err))
	}
	fmt.Fprintf(stdout, "unlocked %s\n", auth.NormalizeEmail(*email))
	return nil
}
