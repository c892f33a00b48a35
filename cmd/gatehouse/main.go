// Command gatehouse runs the Gatehouse multi-factor login portal and its
// administration commands.
//
//	gatehouse serve                 run the portal
//	gatehouse user add --email …    import an account (password on stdin)
//	gatehouse user list             list accounts
//	gatehouse user disable|enable|delete|sessions|activity|reset-mfa --email …
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  gatehouse serve [-addr host:port] [-data-dir dir] [-database-url url] [-base-url url]
  gatehouse user add --email E --first-name F --last-name L [--phone P]   (password on stdin)
  gatehouse user list
  gatehouse user disable|enable --email E
  gatehouse user delete --email E --yes
  gatehouse user sessions --email E [--revoke-all]
  gatehouse user activity --email E [--json] [--limit N]
  gatehouse user reset-mfa --email E
Every command takes --help. Configuration comes from GATEHOUSE_* environment variables; see the README.`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	defer func() {
		if errors.Is(err, flag.ErrHelp) {
			err = nil // -help printed the usage: a success
		}
	}()
	if len(args) == 0 {
		return fmt.Errorf("missing command\n%s", usage)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stderr)
	case "user":
		return user(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
}
