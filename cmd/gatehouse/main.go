// Command gatehouse runs the Gatehouse multi-factor login portal and its
// administration commands.
//
//	gatehouse serve                 run the portal
//	gatehouse user add --email …    import an account (password on stdin)
//	gatehouse user list             list accounts
//	gatehouse user disable|enable|delete|sessions|activity|reset-mfa --email …
//	gatehouse user show --email …   show one account and its groups
//	gatehouse user groups --email … set, add or remove groups
//	gatehouse user unlock --email … end an account's sign-in waits
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"gatehouse/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		os.Exit(1)
	}
}

// errUsage marks a command line that names no known command: exit 2.
var errUsage = errors.New("usage")

const usage = `usage:
  gatehouse serve [-addr host:port] [-data-dir dir] [-database-url url] [-base-url url]
  gatehouse user COMMAND [flags]        administer accounts (gatehouse user --help)
  gatehouse help                        this text
Configuration comes from GATEHOUSE_* environment variables (gatehouse serve --help
lists them); flags win over variables.`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	defer func() {
		if errors.Is(err, flag.ErrHelp) {
			err = nil // -help printed the usage: a success
		}
	}()
	if len(args) == 0 {
		return fmt.Errorf("%w: missing command\n%s", errUsage, usage)
	}
	switch args[0] {
	case "serve":
		if wantsHelp(args[1:]) {
			serveHelp(stdout)
			return nil
		}
		return serve(ctx, args[1:], getenv, stderr)
	case "user":
		return user(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("%w: unknown command %q\n%s", errUsage, args[0], usage)
	}
}

// wantsHelp reports whether args ask for help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help", "help":
			return true
		}
	}
	return false
}

// serveHelp prints the usage of serve and every configuration variable.
func serveHelp(w io.Writer) {
	fmt.Fprintln(w, `usage: gatehouse serve [-addr host:port] [-data-dir dir] [-database-url url] [-base-url url]

Runs the portal. Every setting is an environment variable; the flags above
override the first four.

Variables:`)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, v := range config.Vars {
		fmt.Fprintf(tw, "  %s\t%s\t(default: %s)\n", v.Name, v.Help, cmp.Or(v.Default, "none"))
	}
	_ = tw.Flush()
}
