package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"gatehouse/internal/auth"
	"gatehouse/internal/phone"
	"gatehouse/internal/store"
)

// userShow prints one account: email, names, masked phone, MFA flag,
// creation time and groups.
func userShow(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address (required)")
	db := dbFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("user show: --email is required")
	}
	a, err := db.open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Auth.AccountByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("user show: %s", cliMessage(err))
	}
	groups, err := a.Auth.GroupsOf(ctx, u.Email)
	if err != nil {
		return fmt.Errorf("user show: %w", err)
	}
	mfa := "off"
	if u.MFAEnabled {
		mfa = "on"
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "email\t%s\n", u.Email)
	fmt.Fprintf(tw, "first name\t%s\n", u.FirstName)
	fmt.Fprintf(tw, "last name\t%s\n", u.LastName)
	fmt.Fprintf(tw, "phone\t%s\n", phone.Mask(u.Phone, a.Config.DefaultRegion))
	fmt.Fprintf(tw, "mfa\t%s\n", mfa)
	fmt.Fprintf(tw, "created\t%s\n", u.CreatedAt.Format("2006-01-02 15:04"))
	fmt.Fprintf(tw, "groups\t%s\n", strings.Join(groups, ","))
	return tw.Flush()
}

// userGroups changes an account's groups: --set replaces them all, --add
// and --remove change some; it prints the groups the account then has.
func userGroups(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user groups", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address (required)")
	set := fs.String("set", "", "comma-separated groups that replace all others (\"\" clears them with --clear)")
	clear := fs.Bool("clear", false, "remove every group")
	add := fs.String("add", "", "comma-separated groups to add")
	remove := fs.String("remove", "", "comma-separated groups to remove")
	db := dbFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := groupChange(*email, *set, *add, *remove, *clear)
	if err != nil {
		return err
	}
	a, err := db.open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	groups, err := a.Auth.ChangeGroups(ctx, *email, c)
	if err != nil {
		return fmt.Errorf("user groups: %s", cliMessage(err))
	}
	fmt.Fprintf(stdout, "%s: groups %s\n", *email, strings.Join(groups, ","))
	return nil
}

// groupChange reads the flags of user groups into one change.
func groupChange(email, set, add, remove string, clear bool) (store.GroupChange, error) {
	var c store.GroupChange
	switch {
	case email == "":
		return c, errors.New("user groups: --email is required")
	case (set != "" || clear) && add != "":
		return c, errors.New("user groups: --set or --clear replaces every group; use --add without them")
	case set == "" && !clear && add == "" && remove == "":
		return c, errors.New("user groups: give --set, --add, --remove or --clear")
	}
	var err error
	c.Replace = set != "" || clear
	if c.Add, err = auth.ParseGroups(set + "," + add); err != nil {
		return c, fmt.Errorf("user groups: %s", cliMessage(err))
	}
	if c.Remove, err = auth.ParseGroups(remove); err != nil {
		return c, fmt.Errorf("user groups: %s", cliMessage(err))
	}
	return c, nil
}

// cliMessage is the sentence an administrator reads for a refused change.
func cliMessage(err error) string {
	var ve *auth.ValidationError
	switch {
	case errors.As(err, &ve):
		msgs := make([]string, 0, len(ve.Fields))
		for _, m := range ve.Fields {
			msgs = append(msgs, m)
		}
		return strings.Join(msgs, " ")
	case errors.Is(err, auth.ErrNoAccount):
		return "no account has that email address"
	}
	return auth.Message(err)
}
