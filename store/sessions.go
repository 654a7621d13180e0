package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

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
	return s.Update(func(tx *Tx) error { return tx.Put(snaps...) })
}

// Get returns the snapshot of session id, or ErrNotFound.
func (s *Store) Get(id uint32) (*Snapshot, error) {
	var snap *Snapshot
	err := s.view(func(tx *Tx) error {
		var err error
		snap, err = tx.Get(id)
		return err
	})
	return snap, err
}

// Has reports whether a snapshot is stored under id.
func (s *Store) Has(id uint32) (bool, error) {
	var ok bool
	err := s.view(func(tx *Tx) error {
		ok = tx.Has(id)
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
	err := s.be.view(func(tx bucket) error {
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
	var n int
	err := s.Update(func(tx *Tx) error {
		var err error
		n, err = tx.Delete(ids...)
		return err
	})
	return n, err
}

// DeleteInactiveSince removes the snapshots last active before t, except
// those keep reports (nil keeps none), and returns their ids in order.
func (s *Store) DeleteInactiveSince(t time.Time, keep func(id uint32) bool) ([]uint32, error) {
	var gone []uint32
	err := s.Update(func(tx *Tx) error {
		var err error
		gone, err = tx.DeleteInactiveSince(t, keep)
		return err
	})
	return gone, err
}

// Update runs fn in one write transaction: what fn does is committed
// together (one fsync), or not at all when fn or the commit fails. A
// running server has one writer, its checkpointer; see package session.
func (s *Store) Update(fn func(tx *Tx) error) error {
	return s.be.update(func(root bucket) error { return fn(&Tx{b: root.Bucket(bucketSessions)}) })
}

// view runs fn in a read-only transaction.
func (s *Store) view(fn func(tx *Tx) error) error {
	return s.be.view(func(root bucket) error { return fn(&Tx{b: root.Bucket(bucketSessions)}) })
}

// Tx reads and changes stored sessions inside one transaction. It is
// valid only during the function given to Update, and only in the
// goroutine running it.
type Tx struct {
	b       bucket
	refused []Refusal // what Put left out: too large for the backend
}

// Put stores snapshots, replacing what was stored under their ids. A
// snapshot too large for the backend (etcd's request size, even
// compressed) is left out, its earlier snapshot kept, and reported by
// Refused; the others are put.
func (t *Tx) Put(snaps ...*Snapshot) error {
	for _, snap := range snaps {
		snap.Version = SnapshotVersion
		v, err := proto.Marshal(snap)
		if err != nil {
			return fmt.Errorf("encode session %d: %w", snap.SessionId, err)
		}
		err = t.b.Put(key(snap.SessionId), v)
		if errors.Is(err, ErrTooLarge) {
			t.refused = append(t.refused, Refusal{ID: snap.SessionId, Bytes: len(v), Err: err})
			continue
		}
		if err != nil {
			return fmt.Errorf("store session %d: %w", snap.SessionId, err)
		}
	}
	return nil
}

// Refusal is a snapshot Put left out.
type Refusal struct {
	ID    uint32
	Bytes int // encoded, uncompressed
	Err   error
}

// Refused returns the snapshots Put left out in this transaction.
func (t *Tx) Refused() []Refusal { return t.refused }

// Get returns the snapshot of session id, or ErrNotFound.
func (t *Tx) Get(id uint32) (*Snapshot, error) {
	v := t.b.Get(key(id))
	if v == nil {
		return nil, fmt.Errorf("session %d: %w", id, ErrNotFound)
	}
	return decodeSnapshot(id, v)
}

// Has reports whether a snapshot is stored under id.
func (t *Tx) Has(id uint32) bool { return t.b.Get(key(id)) != nil }

// Delete removes the snapshots of ids and returns how many existed.
func (t *Tx) Delete(ids ...uint32) (int, error) {
	n := 0
	for _, id := range ids {
		if t.b.Get(key(id)) == nil {
			continue
		}
		n++
		if err := t.b.Delete(key(id)); err != nil {
			return n, fmt.Errorf("delete session %d: %w", id, err)
		}
	}
	return n, nil
}

// DeleteInactiveSince removes the snapshots last active before t, except
// those keep reports (nil keeps none), and returns their ids in order.
// Undecodable values are kept for an operator to look at.
func (t *Tx) DeleteInactiveSince(before time.Time, keep func(id uint32) bool) ([]uint32, error) {
	var gone []uint32
	err := t.b.ForEach(func(k, v []byte) error {
		id := binary.BigEndian.Uint32(k)
		var snap Snapshot
		if proto.Unmarshal(v, &snap) != nil || snap.LastActiveUnixMs >= before.UnixMilli() || (keep != nil && keep(id)) {
			return nil
		}
		gone = append(gone, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Deleted after the walk: a bucket must not change under ForEach.
	for _, id := range gone {
		if err := t.b.Delete(key(id)); err != nil {
			return nil, fmt.Errorf("delete session %d: %w", id, err)
		}
	}
	return gone, nil
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
