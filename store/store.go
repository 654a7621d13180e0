// Package store keeps session snapshots in a bbolt file. It is the only
// package that imports bbolt; no bbolt byte slice escapes a transaction.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout this code reads and writes.
const SchemaVersion = 1

var (
	bucketMeta     = []byte("meta")
	bucketSessions = []byte("sessions")
	keySchema      = []byte("schema")
	keyToken       = []byte("token")
)

// Options tune Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file. Default 1 s; bbolt's own default waits forever.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. Tests only: a crash loses data.
	NoSync bool
	// ReadOnly opens an existing file for reading, sharing it with other
	// readers; it fails with ErrLocked while a server holds the file.
	ReadOnly bool
}

// Store is an open session database. It is safe for concurrent use.
type Store struct {
	db    *bolt.DB
	path  string
	probe chan struct{} // capacity 1: the readiness probe running (health.go)
}

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
	s := &Store{db: db, path: path, probe: make(chan struct{}, 1)}
	check := s.db.Update
	if opts.ReadOnly {
		check = s.db.View
	}
	if err := check(initSchema); err != nil {
		db.Close()
		return nil, &Error{Path: path, Err: err, Hint: "use --db to choose another file"}
	}
	return s, nil
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

// initSchema creates the buckets of a new file and refuses newer layouts.
func initSchema(tx *bolt.Tx) error {
	if !tx.Writable() {
		if tx.Bucket(bucketMeta) == nil || tx.Bucket(bucketSessions) == nil {
			return fmt.Errorf("%w: missing buckets", ErrCorrupt)
		}
		return checkSchema(tx.Bucket(bucketMeta).Get(keySchema))
	}
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	if _, err := tx.CreateBucketIfNotExists(bucketSessions); err != nil {
		return err
	}
	v := meta.Get(keySchema)
	if v == nil {
		return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion))
	}
	return checkSchema(v)
}

// checkSchema accepts this version (older ones would be migrated here).
func checkSchema(v []byte) error {
	switch {
	case len(v) != 4:
		return fmt.Errorf("%w: schema version is %d bytes long", ErrCorrupt, len(v))
	case binary.BigEndian.Uint32(v) > SchemaVersion:
		return fmt.Errorf("%w: file has schema %d, this cartago reads up to %d", ErrSchemaNewer, binary.BigEndian.Uint32(v), SchemaVersion)
	}
	return nil
}

// Token returns the access token kept from an earlier run, or "".
// A server keeps its generated token so frontends still open after a
// restart can reconnect and resume.
func (s *Store) Token() (string, error) {
	var tok string
	err := s.db.View(func(tx *bolt.Tx) error {
		tok = string(tx.Bucket(bucketMeta).Get(keyToken))
		return nil
	})
	return tok, err
}

// SetToken keeps token for later runs.
func (s *Store) SetToken(token string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyToken, []byte(token))
	})
}

// Check runs bbolt's consistency check over the whole file.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }
