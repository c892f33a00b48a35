package store

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// benchBackends runs fn on SQLite and, when the test server is configured,
// on PostgreSQL.
func benchBackends(b *testing.B, fn func(b *testing.B, d *DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, openSQLiteTest(b)) })
	if os.Getenv(pgURLEnv) != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, openPostgresTest(b)) })
	}
}

// BenchmarkHit measures one rate-limit hit (an atomic upsert), on one hot
// key and spread over many keys, from parallel callers.
func BenchmarkHit(b *testing.B) {
	benchBackends(b, func(b *testing.B, d *DB) {
		ctx := context.Background()
		now := time.Now()
		b.Run("hot", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := d.Hit(ctx, "hot", 1, time.Hour, now); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run("spread", func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := d.Hit(ctx, fmt.Sprint("k", i%1000), 1, time.Hour, now); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
}

// BenchmarkSpendToken measures spending a fresh one-time token.
func BenchmarkSpendToken(b *testing.B) {
	benchBackends(b, func(b *testing.B, d *DB) {
		ctx := context.Background()
		now := time.Now()
		i := 0
		for b.Loop() {
			if err := d.SpendToken(ctx, fmt.Sprint("tok-", i), now.Add(time.Minute), now); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkAtomicallyParallel measures short write transactions (two
// counter hits and a token spent, as in a second-factor check) from 32
// callers at once: on SQLite they commit in batches.
func BenchmarkAtomicallyParallel(b *testing.B) {
	benchBackends(b, func(b *testing.B, d *DB) {
		ctx := context.Background()
		now := time.Now()
		var n atomic.Int64
		b.SetParallelism(16) // 32 callers on 2 CPUs
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				err := d.Atomically(ctx, func(ctx context.Context) error {
					if _, err := d.Hit(ctx, fmt.Sprint("ip-", i%200), 1, time.Hour, now); err != nil {
						return err
					}
					if _, err := d.Hit(ctx, fmt.Sprint("user-", i%1000), 1, time.Hour, now); err != nil {
						return err
					}
					return d.SpendToken(ctx, fmt.Sprint("tok-", i), now.Add(time.Minute), now)
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
