package store

import (
	"context"
	"errors"
	"os"

	bolt "go.etcd.io/bbolt"
)

// Count returns the number of stored sessions. bbolt keeps no count, so
// this walks the bucket's pages (read-only; milliseconds for thousands
// of sessions), which is why metrics read it only when scraped.
func (s *Store) Count() (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketSessions).Stats().KeyN
		return nil
	})
	return n, err
}

// Size returns the size of the database file in bytes (it grows in
// steps; free pages inside it are reused, never returned to the disk).
func (s *Store) Size() (int64, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// errProbeBusy means an earlier readiness probe has not returned yet.
var errProbeBusy = errors.New("store: an earlier readiness probe is still waiting")

// Ready reports whether a read-only transaction can start and finish
// before ctx ends: nil when the store is reachable. A transaction that
// hangs (the file is wedged) keeps its goroutine until bbolt returns;
// only one such probe runs at a time (s.probe), so hung probes never
// pile up.
func (s *Store) Ready(ctx context.Context) error {
	select {
	case s.probe <- struct{}{}:
	default:
		return errProbeBusy
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-s.probe }()
		done <- s.db.View(func(tx *bolt.Tx) error {
			if tx.Bucket(bucketSessions) == nil {
				return ErrCorrupt
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
