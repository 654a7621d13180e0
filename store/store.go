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
)

// Options tune Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file. Default 1 s; bbolt's own default waits forever.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. Tests only: a crash loses data.
	NoSync bool
}

// Store is an open session database. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens or creates the database at path, creating its folder, and
// checks the schema version.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("session database: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, NoSync: opts.NoSync})
	if err != nil {
		return nil, openError(path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.db.Update(initSchema); err != nil {
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
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	if _, err := tx.CreateBucketIfNotExists(bucketSessions); err != nil {
		return err
	}
	v := meta.Get(keySchema)
	switch {
	case v == nil:
		return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion))
	case len(v) != 4:
		return fmt.Errorf("%w: schema version is %d bytes long", ErrCorrupt, len(v))
	case binary.BigEndian.Uint32(v) > SchemaVersion:
		return fmt.Errorf("%w: file has schema %d, this cartago reads up to %d", ErrSchemaNewer, binary.BigEndian.Uint32(v), SchemaVersion)
	}
	return nil
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }
