package password

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/trustelem/zxcvbn/frequency"
)

// maxAffix is how many digits or symbols may be stripped from either end of
// a password before the rest is looked up: "iloveyou2" and "Passw0rd!" are
// as weak as the words they decorate, while a word followed by a long
// number is left to the other rules.
const maxAffix = 4

// minCore is the shortest word left after stripping that still counts, so
// that "1234a5678" is not refused for the word "a".
const minCore = 4

var (
	commonOnce sync.Once
	common     map[string]struct{}
	commonMax  int // length in bytes of the longest entry
)

// commonWords returns the refused words: every ranked dictionary zxcvbn
// ships (leaked passwords, English words from Wikipedia and from US film and
// television, US census names and surnames), lower-cased. zxcvbn keeps each
// word only in the list where it ranks best, so a common name such as
// "jennifer" is missing from the passwords list and found in the names.
func commonWords() map[string]struct{} {
	commonOnce.Do(func() {
		n := 0
		for _, l := range frequency.FrequencyLists {
			n += len(l)
		}
		common = make(map[string]struct{}, n)
		for _, l := range frequency.FrequencyLists {
			for _, w := range l {
				w = strings.ToLower(w)
				common[w] = struct{}{}
				commonMax = max(commonMax, len(w))
			}
		}
	})
	return common
}

// isCommon reports whether lower, a lower-cased password, is a listed word
// once decorations are removed: digits and symbols at either end (at most
// maxAffix of them) and l33t substitutions such as 0 for o or @ for a.
func isCommon(lower string) bool {
	words := commonWords()
	for _, c := range cores(lower) {
		if len(c) > commonMax {
			continue // l33t readings keep the length: none can be listed
		}
		for _, v := range unleet(c) {
			if _, ok := words[v]; ok {
				return true
			}
		}
	}
	return false
}

// cores returns s and s without its leading, its trailing and both runs of
// non-letters, each only when the run is at most maxAffix runes long and
// what remains is at least minCore runes long.
func cores(s string) []string {
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) }
	out := []string{s}
	add := func(c string) {
		if runeCount(c) >= minCore && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	left := strings.TrimLeftFunc(s, notLetter)
	right := strings.TrimRightFunc(s, notLetter)
	lok := runeCount(s[:len(s)-len(left)]) <= maxAffix
	rok := runeCount(s[len(right):]) <= maxAffix
	if lok {
		add(left)
	}
	if rok {
		add(right)
	}
	if lok && rok {
		add(strings.TrimRightFunc(left, notLetter))
	}
	return out
}

func runeCount(s string) int { return len([]rune(s)) }

// leet maps the usual l33t symbols to the letter they stand for. Three
// symbols stand for two letters each; unleet tries both readings.
var (
	leet = map[rune]rune{
		'4': 'a', '@': 'a', '8': 'b', '(': 'c', '{': 'c', '[': 'c', '<': 'c',
		'3': 'e', '6': 'g', '9': 'g', '!': 'i', '0': 'o', '$': 's', '5': 's',
		'+': 't', '%': 'x', '2': 'z',
	}
	leetEither = map[rune][2]rune{'1': {'i', 'l'}, '|': {'i', 'l'}, '7': {'l', 't'}}
)

// unleet returns s and every reading of it with its l33t symbols replaced.
// Each symbol is read the same way throughout, as zxcvbn does, so there are
// at most 2³ readings.
func unleet(s string) []string {
	var either []rune
	has := false
	for _, r := range s {
		if _, ok := leet[r]; ok {
			has = true
		}
		if _, ok := leetEither[r]; ok && !slices.Contains(either, r) {
			either = append(either, r)
		}
	}
	if !has && len(either) == 0 {
		return []string{s}
	}
	out := []string{s}
	for mask := 0; mask < 1<<len(either); mask++ {
		var b strings.Builder
		b.Grow(len(s))
		for _, r := range s {
			if l, ok := leet[r]; ok {
				r = l
			} else if pair, ok := leetEither[r]; ok {
				bit := 0
				for i, e := range either {
					if e == r {
						bit = (mask >> i) & 1
					}
				}
				r = pair[bit]
			}
			b.WriteRune(r)
		}
		out = append(out, b.String())
	}
	return out
}
