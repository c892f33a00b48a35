package store

import (
	"context"
	"path/filepath"
	"testing"

	"gatehouse/internal/store/storetest"
)

func TestExists(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "g.db")
	if ok, err := Exists(ctx, "sqlite:"+path); ok || err != nil {
		t.Fatalf("missing file = %v, %v", ok, err)
	}
	if ok, _ := Exists(ctx, "sqlite:"+path); ok {
		t.Fatal("looking created it")
	}
	d, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if ok, err := Exists(ctx, "sqlite:"+path); !ok || err != nil {
		t.Fatalf("existing database = %v, %v", ok, err)
	}
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.FreshSchemaDSN(t)
		if ok, err := Exists(ctx, dsn); ok || err != nil {
			t.Fatalf("empty schema = %v, %v", ok, err)
		}
		d, err := OpenPostgres(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		if ok, err := Exists(ctx, dsn); !ok || err != nil {
			t.Fatalf("migrated schema = %v, %v", ok, err)
		}
	})
}
