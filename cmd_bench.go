package main

import (
	"context"
	"io"

	"github.com/airlock-sync/airlock/bench"
)

// runBench is `airlock bench SCENARIO [flags]` (issue 6); the scenarios live in package bench.
func runBench(ctx context.Context, env func(string) string, args []string, stdout, stderr io.Writer) error {
	return bench.Main(ctx, env, args, stdout, stderr)
}
