package config

import (
	"strings"
	"sync"
)

// defaults maps each variable of Vars to the value Load reads when it is
// unset; a derived default (one with "<…>" in it) reads as empty.
var defaults = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(Vars))
	for _, v := range Vars {
		if !strings.Contains(v.Default, "<") {
			m[v.Name] = v.Default
		}
	}
	return m
})

// reader reads variables from getenv, falling back to the table's default.
type reader func(string) string

// get returns the trimmed value of name, or its default from Vars.
func (r reader) get(name string) string {
	if v := strings.TrimSpace(r(name)); v != "" {
		return v
	}
	return defaults()[name]
}
