package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dnnbench/dnnbench/cache"
)

// runCache is "pipeline cache verify|repair [--cache DIR|s3://…]": verify lists the
// damaged entries and packs and fails when there are any; repair moves them
// into their stage's quarantine directory, so the next run recomputes only
// their rows.
func runCache(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "repair") {
		return errors.New("cache: want verify or repair: go run ./pipeline cache verify|repair [--cache DIR]")
	}
	cmd := args[0]
	fs := flag.NewFlagSet("pipeline cache "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("cache", defaultCache, "cache directory")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("cache %s: unexpected argument %q", cmd, fs.Arg(0))
	}
	var notice string
	if *dir, notice = cacheDir(fs, *dir, ""); notice != "" {
		fmt.Fprintln(stderr, notice)
	}
	// An s3:// cache is checked in this machine's local copy; the bucket
	// only ever receives whole entries (see cache.Store.Sync).
	if cache.IsS3URL(*dir) {
		local, err := remoteCopyDir(*dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "pipeline: checking the local copy %s of %s\n", local, *dir)
		*dir = local
	}
	store, err := cache.Open(*dir)
	if err != nil {
		return err
	}
	if cmd == "verify" {
		damaged, err := store.Verify()
		if err != nil {
			return err
		}
		for _, d := range damaged {
			fmt.Fprintf(stdout, "damaged: %s: %v\n", d.File, d.Cause)
		}
		if len(damaged) > 0 {
			return fmt.Errorf("cache %s: %d damaged files; 'go run ./pipeline cache repair --cache %s' moves them aside, and the next run recomputes their rows", *dir, len(damaged), *dir)
		}
		fmt.Fprintf(stdout, "cache %s: no damaged files\n", *dir)
		return nil
	}
	log := newProgress(stderr, false)
	lockCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	unlock, err := store.LockNotify(lockCtx, func(w cache.LockWait) {
		log.Printf("cache %s is in use by %s; waiting for it (%s so far)", w.Dir, w, w.Waited.Round(time.Second))
	})
	if err != nil {
		return err
	}
	reps, err := store.Repair()
	if uerr := unlock(); err == nil {
		err = uerr
	}
	reps = append(reps, store.Repairs()...) // found while compacting
	for _, rep := range reps {
		fmt.Fprintln(stdout, rep)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cache %s: %d damaged files moved aside\n", *dir, len(reps))
	return nil
}
