//go:build race

package web

// raceDetector is true when the tests run under -race, which slows code 5 to 10 times: sanity
// bounds on page times widen accordingly (BENCHMARKS.md holds the real figures).
const raceDetector = true
