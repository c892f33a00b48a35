package web

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"gatehouse/internal/auth"
	"gatehouse/internal/captcha"
	"gatehouse/internal/keys"
	"gatehouse/internal/password"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
	"gatehouse/internal/verify/local"
)

// BenchmarkForwardAuth measures one allowed forward-auth check (read the
// session, read the identity with its groups, decide, answer) with 100 and
// with 100,000 sessions in the store, on SQLite and, when
// GATEHOUSE_TEST_POSTGRES_URL is set, on PostgreSQL.
func BenchmarkForwardAuth(b *testing.B) {
	open := map[string]func(b *testing.B) (*store.DB, error){
		"sqlite": func(b *testing.B) (*store.DB, error) {
			return store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "g.db"))
		},
	}
	if os.Getenv(storetest.URLEnv) != "" {
		open["postgres"] = func(b *testing.B) (*store.DB, error) {
			return store.OpenPostgres(context.Background(), storetest.FreshSchemaDSN(b))
		}
	}
	for _, name := range []string{"sqlite", "postgres"} {
		if open[name] == nil {
			continue
		}
		for _, n := range []int{100, 100_000} {
			b.Run(fmt.Sprintf("%s/sessions=%d", name, n), func(b *testing.B) {
				db, err := open[name](b)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				h, tokens := benchPortal(b, db, n)
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					req := httptest.NewRequest(http.MethodGet, "/api/authz/forward-auth", nil)
					req.RemoteAddr = "127.0.0.1:40000"
					req.Header.Set("X-Forwarded-Method", "GET")
					req.Header.Set("X-Forwarded-Proto", "https")
					req.Header.Set("X-Forwarded-Host", "app.example.com")
					req.Header.Set("X-Forwarded-Uri", "/home")
					req.AddCookie(&http.Cookie{Name: SessionCookie, Value: tokens[i%len(tokens)]})
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
		}
	}
}

// benchPortal builds the portal on db with n signed-in sessions of one
// account, inserted straight into the store, and returns the handler and a
// random sample of the tokens.
func benchPortal(b *testing.B, db *store.DB, n int) (http.Handler, []string) {
	b.Helper()
	ctx := context.Background()
	now := time.Now()
	ring, err := keys.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		b.Fatal(err)
	}
	eng, err := local.New(local.Options{Store: db, Sender: &local.MemorySender{},
		CodeKey: ring.Derive(keys.PurposeCodeHash), SecretKey: ring.Derive(keys.PurposeTOTPEncrypt)})
	if err != nil {
		b.Fatal(err)
	}
	pow, err := captcha.NewPoW(captcha.PoWOptions{Key: ring.Derive(keys.PurposeCaptcha),
		UsedKey: ring.Derive(keys.PurposeCaptchaUsed), Spender: db, MaxNumber: 1000})
	if err != nil {
		b.Fatal(err)
	}
	hasher, err := password.NewHasher(password.DefaultParams, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := auth.New(auth.Options{Store: db, Verifier: eng, Captcha: pow, Hasher: hasher,
		LimitKey: ring.Derive(keys.PurposeLimitKey), BackupKey: ring.Derive(keys.PurposeBackupCode),
		ReplayKey: ring.Derive(keys.PurposeReplay), LinkKey: ring.Derive(keys.PurposeLinkToken)})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.CreateUser(ctx, store.User{ID: "u1", Email: "ann@example.com", FirstName: "Ann", LastName: "Tester",
		PasswordHash: "x", VerifyIdentity: "vi-u1", MFAEnabled: true, CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	if err := db.ChangeGroups(ctx, "u1", store.GroupChange{Add: []string{"dev", "staff"}}); err != nil {
		b.Fatal(err)
	}
	data, err := scs.GobCodec{}.Encode(now.Add(time.Hour), map[string]interface{}{
		keyUserID: "u1", keyMethod: auth.MethodSMS, keyAuthAt: now.Unix(), keySeen: now.Unix()})
	if err != nil {
		b.Fatal(err)
	}
	tokens := insertSessions(b, db, n, data, now.Add(time.Hour))
	h, err := New(Options{Auth: svc, Captcha: pow, PoW: pow, SessionStore: store.Sessions{DB: db},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Now:            func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	return h, tokens
}

// insertSessions writes n sessions holding data in one transaction and
// returns up to 1,000 of their tokens, picked at random.
func insertSessions(b *testing.B, db *store.DB, n int, data []byte, expiry time.Time) []string {
	b.Helper()
	q := `INSERT INTO sessions (token_hash, public_id, data, expiry, created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)`
	if db.Dialect() == store.Postgres {
		q = `INSERT INTO sessions (token_hash, public_id, data, expiry, created_at, last_seen) VALUES ($1, $2, $3, $4, $5, $6)`
	}
	tx, err := db.SQL().Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(q)
	if err != nil {
		b.Fatal(err)
	}
	var all []string
	for i := range n {
		tok := fmt.Sprintf("bench-%08d-%016x", i, rand.Uint64())
		at := expiry.Add(-time.Hour).UnixMilli()
		if _, err := stmt.Exec(store.TokenHash(tok), fmt.Sprintf("p%d", i), data, expiry.UnixMilli(), at, at); err != nil {
			b.Fatal(err)
		}
		all = append(all, tok)
	}
	if err := commit(tx, stmt); err != nil {
		b.Fatal(err)
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all[:min(len(all), 1000)]
}

func commit(tx *sql.Tx, stmt *sql.Stmt) error {
	if err := stmt.Close(); err != nil {
		return err
	}
	return tx.Commit()
}
