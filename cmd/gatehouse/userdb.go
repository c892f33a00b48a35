package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"gatehouse/internal/config"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
)

// userDB is the database a user command works on: the flags every one of
// them takes, naming the database serve uses.
type userDB struct{ dataDir, dbURL *string }

// dbFlags adds -data-dir and -database-url to fs.
func dbFlags(fs *flag.FlagSet) userDB {
	return userDB{
		dataDir: fs.String("data-dir", "", "data directory (default GATEHOUSE_DATA_DIR)"),
		dbURL:   fs.String("database-url", "", "database URL (default GATEHOUSE_DATABASE_URL)"),
	}
}

// open loads the configuration with the flags' overrides and wires the
// portal on its database, which must exist already: a command pointed at
// the wrong directory refuses rather than create an empty database.
func (u userDB) open(ctx context.Context, getenv func(string) string, stderr io.Writer) (*portal.Portal, error) {
	var args []string
	if *u.dataDir != "" {
		args = append(args, "-data-dir", *u.dataDir)
	}
	if *u.dbURL != "" {
		args = append(args, "-database-url", *u.dbURL)
	}
	cfg, err := config.Load(getenv, args)
	if err != nil {
		return nil, err
	}
	ok, err := store.Exists(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("no Gatehouse database at %s (data directory %s): check --data-dir or --database-url; `gatehouse serve` creates it",
			dbKind(cfg.DatabaseURL), cfg.DataDir)
	}
	return portal.Build(ctx, cfg, portal.Deps{Stderr: stderr})
}
