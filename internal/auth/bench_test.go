package auth

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/fakeclock"
	"gatehouse/internal/password"
	"gatehouse/internal/store"
	"gatehouse/internal/verify/local"
)

// benchService builds the domain on the real SQLite store, the real embedded
// engine and the real argon2id hasher.
func benchService(b *testing.B, now func() time.Time) (*Service, *store.DB, *local.MemorySender) {
	b.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	snd := &local.MemorySender{}
	eng, err := local.New(local.Options{Store: db, Sender: snd, Now: now,
		CodeKey: []byte(strings.Repeat("c", 32)), SecretKey: []byte(strings.Repeat("s", 32))})
	if err != nil {
		b.Fatal(err)
	}
	h, err := password.NewHasher(password.DefaultParams, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := New(Options{Store: db, Verifier: eng, Captcha: fakeCaptcha{}, Hasher: h,
		LimitKey: []byte(strings.Repeat("k", 32)), BackupKey: []byte(strings.Repeat("b", 32)),
		ReplayKey: []byte(strings.Repeat("r", 32)), LinkKey: []byte(strings.Repeat("l", 32)), Now: now,
		Limits: Limits{IPFailures: 1 << 30, TOTPPerIP: 1 << 30, AccountFailures: 1 << 30, CodesPerLogin: 1 << 30}})
	if err != nil {
		b.Fatal(err)
	}
	return svc, db, snd
}

// BenchmarkLoginPassword measures the password step: it should run at the
// speed of argon2id itself.
func BenchmarkLoginPassword(b *testing.B) {
	svc, _, _ := benchService(b, time.Now)
	ctx := context.Background()
	if _, err := svc.CreateUser(ctx, CreateUserInput{Email: "bench@example.com", FirstName: "B", LastName: "M", Password: testPassword}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.Login(ctx, LoginInput{Email: "bench@example.com", Password: testPassword, Captcha: "ok", IP: "192.0.2.1"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCheckLoginTOTP measures an authenticator check at sign-in: a few
// indexed reads and conditional writes on SQLite.
func BenchmarkCheckLoginTOTP(b *testing.B) {
	clk := fakeclock.New(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	svc, _, snd := benchService(b, clk.Now)
	ctx := context.Background()
	// Register a user through the SMS flow, then enroll an authenticator.
	r, err := svc.RegisterStart(ctx, RegisterInput{FirstName: "B", LastName: "M", Email: "bench@example.com", Captcha: "ok", IP: "192.0.2.1"})
	if err != nil {
		b.Fatal(err)
	}
	if r, err = svc.RegisterCredentials(ctx, r, testPassword, "2015550123", "192.0.2.1"); err != nil {
		b.Fatal(err)
	}
	m, _ := snd.Last("+12015550123")
	u, err := svc.RegisterVerify(ctx, r, m.Code)
	if err != nil {
		b.Fatal(err)
	}
	e, err := svc.StartTOTPEnrollment(ctx, u.ID)
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.ConfirmTOTPEnrollment(ctx, u.ID, e.FactorSID, totpCode(b, e.Secret, clk.Now())); err != nil {
		b.Fatal(err)
	}
	pa := PreAuth{UserID: u.ID, StartedAt: clk.Now()}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Each iteration is a new 30-second step so the code is fresh.
		clk.Advance(30 * time.Second)
		pa.StartedAt, pa.LoginID = clk.Now(), fmt.Sprint(i)
		code := totpCode(b, e.Secret, clk.Now())
		if _, err := svc.CheckLoginTOTP(ctx, pa, code, "192.0.2.1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoginBurst fires bursts of 64 simultaneous sign-ins and reports
// the peak heap: with hashes bounded to one per CPU it stays near
// CPUs × 19 MiB, however large the burst.
func BenchmarkLoginBurst(b *testing.B) {
	svc, _, _ := benchService(b, time.Now)
	ctx := context.Background()
	if _, err := svc.CreateUser(ctx, CreateUserInput{Email: "bench@example.com", FirstName: "B", LastName: "M", Password: testPassword}); err != nil {
		b.Fatal(err)
	}
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak {
				peak = ms.HeapInuse
			}
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for j := 0; j < 64; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := svc.Login(ctx, LoginInput{Email: "bench@example.com", Password: testPassword, Captcha: "ok", IP: "192.0.2.1"}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	close(stop)
	<-sampled
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*64), "ms/login")
}
