package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/store"
)

// cli runs the command line with GATEHOUSE_DATA_DIR=dir.
func cli(t *testing.T, dir, stdin string, args ...string) (string, string, error) {
	t.Helper()
	env := func(k string) string {
		switch k {
		case "GATEHOUSE_DATA_DIR":
			return dir
		case "GATEHOUSE_LOG_LEVEL":
			return "error"
		}
		return ""
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestHelpEverywhere(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--help"}, {"serve", "--help"}, {"user", "--help"}, {"user", "add", "--help"}, {"user", "list", "--help"},
		{"user", "disable", "--help"}, {"user", "enable", "--help"}, {"user", "delete", "--help"},
		{"user", "sessions", "--help"}, {"user", "activity", "--help"}, {"user", "reset-mfa", "-h"},
	} {
		out, errOut, err := cli(t, dir, "", args...)
		if err != nil || (args[0] != "serve" && !strings.Contains(strings.ToLower(out+errOut), "usage")) {
			t.Errorf("%v: %v\n%s%s", args, err, out, errOut)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("--help wrote %d files", len(entries))
	}
}

func TestNoNewDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo")
	for _, args := range [][]string{
		{"user", "list"}, {"user", "disable", "--email", "a@example.com"}, {"user", "sessions", "--email", "a@example.com"},
		{"user", "activity", "--email", "a@example.com", "--json"}, {"user", "reset-mfa", "--email", "a@example.com"},
		{"user", "delete", "--email", "a@example.com", "--yes"},
		{"user", "add", "--email", "a@example.com", "--first-name", "A", "--last-name", "L"},
	} {
		_, _, err := cli(t, dir, "a long passphrase\n", args...)
		if err == nil || !strings.Contains(err.Error(), "no Gatehouse database") {
			t.Errorf("%v: %v", args, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the data directory was created: %v", err)
	}
}

func TestUserAdmin(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, e, err := cli(t, dir, "a long passphrase\n", "user", "add", "--email", "ada@example.com",
		"--first-name", "Ada", "--last-name", "Lovelace", "--phone", "+12015550123"); err != nil {
		t.Fatalf("add: %v %s", err, e)
	}
	db, err = store.OpenSQLite(ctx, filepath.Join(dir, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, err := db.UserByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s := store.Sessions{DB: db}
	if err := s.CommitCtx(store.WithCommit(ctx, store.CommitInfo{New: true, UserID: u.ID, IP: "192.0.2.1",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"}), "tok", []byte("d"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.AddActivity(ctx, store.ActivityRecord{UserID: u.ID, At: now, IP: "192.0.2.1", Event: "sign_in", Detail: "sms"}); err != nil {
		t.Fatal(err)
	}
	out, _, err := cli(t, dir, "", "user", "sessions", "--email", "ada@example.com")
	if err != nil || !strings.Contains(out, "Firefox 126 on Linux") || !strings.Contains(out, "192.0.2.1") || strings.Contains(out, "tok") {
		t.Fatalf("sessions: %v\n%s", err, out)
	}
	out, _, err = cli(t, dir, "", "user", "activity", "--email", "ada@example.com", "--json")
	var line map[string]string
	if err != nil || json.Unmarshal([]byte(strings.TrimSpace(out)), &line) != nil ||
		line["event"] != "sign_in" || line["ip"] != "192.0.2.1" || line["at"] == "" {
		t.Fatalf("activity --json: %v\n%s", err, out)
	}
	if _, _, err := cli(t, dir, "", "user", "disable", "--email", "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.FindCtx(ctx, "tok"); ok {
		t.Fatal("a disabled account's session lives on")
	}
	if off, _ := db.IsDisabled(ctx, u.ID); !off {
		t.Fatal("not disabled")
	}
	if _, _, err := cli(t, dir, "", "user", "enable", "--email", "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if off, _ := db.IsDisabled(ctx, u.ID); off {
		t.Fatal("still disabled")
	}
	if err := db.SetPhoneMFA(ctx, u.ID, "+12015550123", now); err != nil {
		t.Fatal(err)
	}
	if err := db.RememberDevice(ctx, store.RememberedDevice{ID: "d1", UserID: u.ID, TokenHash: "h", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, dir, "", "user", "reset-mfa", "--email", "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserByID(ctx, u.ID); got.MFAEnabled {
		t.Fatal("MFA flag still on")
	}
	if list, _ := db.RememberedDevices(ctx, u.ID, now); len(list) != 0 {
		t.Fatal("remembered devices kept")
	}
	if _, _, err := cli(t, dir, "", "user", "delete", "--email", "ada@example.com"); err == nil || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("delete without --yes: %v", err)
	}
	if _, _, err := cli(t, dir, "", "user", "delete", "--email", "ada@example.com", "--yes"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, dir, "", "user", "disable", "--email", "ada@example.com"); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Fatalf("disable a deleted account: %v", err)
	}
}

// TestUserUsageListsEveryCommand: gatehouse user --help names every
// command the dispatch knows.
func TestUserUsageListsEveryCommand(t *testing.T) {
	names := []string{"add", "list", "show", "groups", "unlock"}
	for name := range adminCmds() {
		names = append(names, name)
	}
	for _, name := range names {
		if !strings.Contains(userUsage, "\n  "+name+" ") && !strings.Contains(userUsage, "|"+name+" ") &&
			!strings.Contains(userUsage, "\n  "+name+"|") {
			t.Errorf("gatehouse user --help does not list %s", name)
		}
	}
}
