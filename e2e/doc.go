// Package e2e holds end-to-end tests: they build the gatehouse binary, run
// `gatehouse serve` on embedded defaults in a temporary data directory, and
// drive it with headless Chromium through chromedp, reading SMS codes from
// the local engine's outbox file as a person reads them from the console.
package e2e
