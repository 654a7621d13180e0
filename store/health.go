package store

import (
	"context"
	"errors"
)

// Count returns the number of stored sessions. It may walk the store
// (bbolt keeps no count), which is why metrics read it only when scraped.
func (s *Store) Count() (int, error) { return s.be.countSessions() }

// Size returns the size of the database in bytes: the bbolt file on
// disk, or etcd's database as its first reachable member reports it.
func (s *Store) Size() (int64, error) { return s.be.size() }

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
		done <- s.be.view(func(tx bucket) error {
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
