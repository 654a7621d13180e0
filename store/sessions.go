package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// SnapshotVersion is the Snapshot layout this code writes.
const SnapshotVersion = 1

// ErrNotFound means no snapshot is stored under the id.
var ErrNotFound = errors.New("session not found")

func key(id uint32) []byte { return binary.BigEndian.AppendUint32(nil, id) }

// Put stores snapshots in one transaction (one fsync for all), replacing
// what was stored under their ids.
func (s *Store) Put(snaps ...*Snapshot) error {
	if len(snaps) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		for _, snap := range snaps {
			snap.Version = SnapshotVersion
			v, err := proto.Marshal(snap)
			if err != nil {
				return fmt.Errorf("encode session %d: %w", snap.SessionId, err)
			}
			if err := b.Put(key(snap.SessionId), v); err != nil {
				return fmt.Errorf("store session %d: %w", snap.SessionId, err)
			}
		}
		return nil
	})
}

// Get returns the snapshot of session id, or ErrNotFound.
func (s *Store) Get(id uint32) (*Snapshot, error) {
	var snap *Snapshot
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get(key(id))
		if v == nil {
			return fmt.Errorf("session %d: %w", id, ErrNotFound)
		}
		var err error
		snap, err = decodeSnapshot(id, v)
		return err
	})
	return snap, err
}

// Has reports whether a snapshot is stored under id.
func (s *Store) Has(id uint32) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketSessions).Get(key(id)) != nil
		return nil
	})
	return ok, err
}

// List returns every stored snapshot, ordered by session id. A value
// that does not decode is returned as an error naming its id, after the
// others.
func (s *Store) List() ([]*Snapshot, error) {
	var out []*Snapshot
	var bad []error
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			snap, err := decodeSnapshot(binary.BigEndian.Uint32(k), v)
			if err != nil {
				bad = append(bad, err)
				return nil
			}
			out = append(out, snap)
			return nil
		})
	})
	return out, errors.Join(append([]error{err}, bad...)...)
}

// Delete removes the snapshots of ids and returns how many existed.
func (s *Store) Delete(ids ...uint32) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		for _, id := range ids {
			if b.Get(key(id)) != nil {
				n++
				if err := b.Delete(key(id)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, err
}

// DeleteInactiveSince removes snapshots last active before t and returns
// their ids.
func (s *Store) DeleteInactiveSince(t time.Time) ([]uint32, error) {
	var gone []uint32
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var snap Snapshot
			// Undecodable values are kept for an operator to look at.
			if proto.Unmarshal(v, &snap) != nil || snap.LastActiveUnixMs >= t.UnixMilli() {
				continue
			}
			gone = append(gone, binary.BigEndian.Uint32(k))
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	return gone, err
}

// decodeSnapshot copies v (bbolt memory must not escape) by decoding it.
func decodeSnapshot(id uint32, v []byte) (*Snapshot, error) {
	var snap Snapshot
	if err := proto.Unmarshal(v, &snap); err != nil {
		return nil, fmt.Errorf("session %d: %w: %v", id, ErrCorrupt, err)
	}
	if snap.Version > SnapshotVersion {
		return nil, fmt.Errorf("session %d: %w: snapshot version %d", id, ErrSchemaNewer, snap.Version)
	}
	return &snap, nil
}
