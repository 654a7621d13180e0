package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Open opens or creates the database at path, creating its folder, and
// checks the schema version.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, &Error{Path: path, Err: err, Hint: "no session database there; check --db"}
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("session database: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, NoSync: opts.NoSync, ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, openError(path, err)
	}
	be := &boltBackend{db: db, path: path}
	check := be.update
	if opts.ReadOnly {
		check = be.view
	}
	if err := check(initSchema); err != nil {
		db.Close()
		return nil, &Error{Path: path, Err: err, Hint: "use --db to choose another file"}
	}
	return newStore(be, path), nil
}

// openError classifies bbolt's open failures and adds what to do.
func openError(path string, err error) error {
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return &Error{Path: path, Err: ErrLocked, Hint: "is another cartago running? stop it or use --db"}
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
		errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrInvalidMapping):
		return &Error{Path: path, Err: fmt.Errorf("%w: %v", ErrCorrupt, err),
			Hint: "it was left untouched; move it aside to start with an empty database, or use --db"}
	}
	return &Error{Path: path, Err: err}
}

// boltBackend is the embedded default: one file, one writer process.
type boltBackend struct {
	db   *bolt.DB
	path string
}

func (b *boltBackend) view(fn func(root bucket) error) error {
	return b.db.View(func(tx *bolt.Tx) error { return fn(boltBucket{tx: tx}) })
}

func (b *boltBackend) update(fn func(root bucket) error) error {
	return b.db.Update(func(tx *bolt.Tx) error { return fn(boltBucket{tx: tx}) })
}

// countSessions reads bbolt's page statistics: bbolt keeps no count, so
// this walks the bucket's pages (read-only; milliseconds for thousands
// of sessions).
func (b *boltBackend) countSessions() (int, error) {
	n := 0
	err := b.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketSessions).Stats().KeyN
		return nil
	})
	return n, err
}

// size is the file's size on disk (it grows in steps; free pages inside
// it are reused, never returned to the disk).
func (b *boltBackend) size() (int64, error) {
	fi, err := os.Stat(b.path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (b *boltBackend) check() error {
	return b.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

func (b *boltBackend) close() error { return b.db.Close() }
