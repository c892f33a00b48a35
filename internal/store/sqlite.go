package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// OpenSQLite opens (creating when needed) the SQLite database at path, in
// WAL mode with a busy timeout, and applies the embedded migrations.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create data dir: %w", err)
		}
	}
	// The database holds password hashes and sessions: only its owner may
	// read it (SQLite gives the -wal and -shm files the same mode).
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"busy_timeout(5000)",
		"foreign_keys(ON)",
		"synchronous(NORMAL)",
		// No checkpoint by the committing writer: it would hold the one
		// writer connection through the checkpoint's fsyncs. checkpoints
		// runs them beside it instead.
		"wal_autocheckpoint(0)",
		// Each transaction of a batch is a savepoint, and the savepoint's
		// journal (the pages as they were before it) is a temporary file:
		// on disk, once it outgrew 64 KiB it stayed there, and every page a
		// later transaction changed cost a write system call. In memory it
		// is a few pages per transaction, dropped at each release.
		"temp_store(MEMORY)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	readers, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		readers.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	// WAL allows many readers and one writer: readers get a handful of
	// connections, writes one, so they wait their turn in Go's pool rather
	// than sleep in SQLite's busy handler (which only other processes, such
	// as an admin command, still meet).
	readers.SetMaxOpenConns(8)
	readers.SetMaxIdleConns(8)
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	d := &DB{db: readers, w: w, dialect: SQLite, wturn: make(chan struct{}, 1)}
	d.stopBg = checkpoints(readers)
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("store: ping sqlite: %w", err)
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// checkpointEvery is how often the WAL is copied back into the database.
const checkpointEvery = time.Second

// checkpoints copies the WAL back into the database file every
// checkpointEvery, on a reader connection: a passive checkpoint waits for
// no one and no writer waits for it, so its fsyncs stay off the writes'
// path. (SQLite's own checkpoint after a commit holds the writer through
// them.) The last connection to close checkpoints what is left. It returns
// the function that stops it.
func checkpoints(readers *sql.DB) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				// A busy or failed checkpoint is simply tried again.
				_, _ = readers.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	return sync.OnceFunc(func() { close(done); <-stopped })
}

// Open opens the database named by dsn: "postgres://…" or "postgresql://…"
// (OpenPostgres), "sqlite:PATH" or a bare path (OpenSQLite).
func Open(ctx context.Context, dsn string) (*DB, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return OpenPostgres(ctx, dsn)
	case strings.HasPrefix(dsn, "sqlite:"):
		return OpenSQLite(ctx, strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"))
	default:
		return OpenSQLite(ctx, dsn)
	}
}
