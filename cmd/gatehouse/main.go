// Command gatehouse runs the Gatehouse multi-factor login portal and its
// administration commands.
//
//	gatehouse serve                 run the portal
//	gatehouse user add --email …    import an account (password on stdin)
//	gatehouse user list             list accounts
//	gatehouse user unlock --email … end an account's sign-in waits
package main

import (
	"context"
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
  gatehouse user unlock --email E
Configuration comes from GATEHOUSE_* environment variables; see the README.`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
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
