package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"gatehouse/internal/access"
)

// reloadOnHangup reads the access rules again on every SIGHUP until ctx
// ends. A broken file is logged with every problem and the rules in force
// stay. SIGHUP is caught from the moment it returns.
func reloadOnHangup(ctx context.Context, log *slog.Logger, path string, rules *access.Holder) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go watchHangup(ctx, log, path, rules, hup)
}

func watchHangup(ctx context.Context, log *slog.Logger, path string, rules *access.Holder, hup chan os.Signal) {
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := rules.Reload(); err != nil {
				log.Error("access rules not reloaded", "err", err)
				continue
			}
			if path == "" {
				log.Info("SIGHUP: no access rules file (GATEHOUSE_ACCESS_RULES) to reload")
				continue
			}
			log.Info("access rules reloaded", "file", path)
		}
	}
}
