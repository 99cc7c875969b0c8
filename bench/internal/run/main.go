// Command run is a temporary runner of package bench while package main does not build.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/airlock-sync/airlock/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := bench.Main(ctx, os.Getenv, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
