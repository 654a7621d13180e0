// Package store keeps session snapshots and user data in a bbolt file or
// in etcd. It is the only package that imports bbolt or etcd's client;
// no bbolt byte slice escapes a transaction.
package store

import (
	"encoding/binary"
	"fmt"
	"time"
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

// Store is an open session database: a bbolt file (Open) or a prefix
// of an etcd cluster (OpenEtcd). It is safe for concurrent use.
type Store struct {
	be    backend
	path  string        // the file, or etcd's endpoints and prefix
	probe chan struct{} // capacity 1: the readiness probe running (health.go)
}

func newStore(be backend, path string) *Store {
	return &Store{be: be, path: path, probe: make(chan struct{}, 1)}
}

// initSchema creates the buckets of a new file and refuses newer layouts.
func initSchema(tx bucket) error {
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
	err := s.be.view(func(tx bucket) error {
		tok = string(tx.Bucket(bucketMeta).Get(keyToken))
		return nil
	})
	return tok, err
}

// KeepToken keeps token for later runs unless one is kept already, and
// returns the one kept: nodes starting together on etcd agree on one.
func (s *Store) KeepToken(token string) (string, error) {
	kept := token
	err := s.be.update(func(tx bucket) error {
		meta := tx.Bucket(bucketMeta)
		if cur := meta.Get(keyToken); len(cur) > 0 {
			kept = string(cur)
			return nil
		}
		kept = token
		return meta.Put(keyToken, []byte(token))
	})
	return kept, err
}

// SetToken keeps token for later runs.
func (s *Store) SetToken(token string) error {
	return s.be.update(func(tx bucket) error {
		return tx.Bucket(bucketMeta).Put(keyToken, []byte(token))
	})
}

// Check runs bbolt's consistency check over the whole file; on etcd it
// reads every key once, so that an undecodable value is reported.
func (s *Store) Check() error { return s.be.check() }

// Path returns the file the store was opened from, or etcd's endpoints
// and prefix.
func (s *Store) Path() string { return s.path }

// Close releases the file or the etcd client.
func (s *Store) Close() error { return s.be.close() }
