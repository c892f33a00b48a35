package config

import (
	"strings"
	"testing"
	"time"
)

func TestRememberAndRetention(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := Load(env(nil), nil)
	if err != nil || c.RememberDevice != 720*time.Hour || c.ActivityRetention != 2160*time.Hour {
		t.Fatalf("defaults = %v, %v, %v", c.RememberDevice, c.ActivityRetention, err)
	}
	c, err = Load(env(map[string]string{"GATEHOUSE_REMEMBER_DEVICE": "0", "GATEHOUSE_ACTIVITY_RETENTION": "24h"}), nil)
	if err != nil || c.RememberDevice != 0 || c.ActivityRetention != 24*time.Hour {
		t.Fatalf("off = %v, %v, %v", c.RememberDevice, c.ActivityRetention, err)
	}
	_, err = Load(env(map[string]string{"GATEHOUSE_REMEMBER_DEVICE": "-1h", "GATEHOUSE_ACTIVITY_RETENTION": "soon"}), nil)
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_REMEMBER_DEVICE") || !strings.Contains(err.Error(), "GATEHOUSE_ACTIVITY_RETENTION") {
		t.Fatalf("bad values: %v", err)
	}
}
