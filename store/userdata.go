package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// User data: what the frontend keeps per user besides its sessions
// (preferences, layouts, code snippets, workspaces), per owner. The owner
// is the same as a session's: the SHA-256 of the access token, or nil on
// a server without access control. Values are JSON the caller has
// validated; this package only keeps them.
//
// Layout, in its own top-level bucket so that older cartago versions,
// which do not know it, still open the file:
//
//	userdata/
//	  schema                 uint32, UserDataSchemaVersion
//	  shares/                share key -> shareRecord (JSON)
//	  o<owner>/              one bucket per owner ("o" + owner hash)
//	    preferences          the preferences object (JSON)
//	    layouts/             name -> layout (JSON)
//	    snippets/            name -> snippet (JSON)
//	    wsmeta/              name -> workspaceMeta (JSON)
//	    wsdata/              name -> the workspace as the frontend sent it
//	    wsids/               workspace id -> name
//
// Metadata and data of a workspace are apart so that listing never reads
// the (up to megabytes of) workspace JSON.

// UserDataSchemaVersion is the user data layout this code reads and
// writes.
const UserDataSchemaVersion = 1

// Errors of the user data functions.
var (
	// ErrNoEntry means no object of that name (or id, or share key) is
	// stored for the owner.
	ErrNoEntry = errors.New("no such entry")
	// ErrTooMany means the owner already has the most objects of that
	// kind the caller allows.
	ErrTooMany = errors.New("too many entries")
)

// Kind names a class of named objects kept per owner.
type Kind string

// The kinds of named objects besides workspaces.
const (
	Layouts  Kind = "layouts"
	Snippets Kind = "snippets"
)

var (
	bucketUserData    = []byte("userdata")
	bucketShares      = []byte("shares")
	keyPreferences    = []byte("preferences")
	bucketWsMeta      = []byte("wsmeta")
	bucketWsData      = []byte("wsdata")
	bucketWsIDs       = []byte("wsids")
	ownerBucketPrefix = byte('o')
)

func ownerKey(owner []byte) []byte { return append([]byte{ownerBucketPrefix}, owner...) }

// userView runs fn with the owner's bucket, nil when the owner has
// stored nothing yet.
func (s *Store) userView(owner []byte, fn func(ub bucket) error) error {
	return s.be.view(func(tx bucket) error {
		root := tx.Bucket(bucketUserData)
		if root == nil {
			return fn(nil)
		}
		if err := checkUserSchema(root); err != nil {
			return err
		}
		return fn(root.Bucket(ownerKey(owner)))
	})
}

// userUpdate runs fn in a write transaction with the owner's bucket and
// the shares bucket, creating them (and the schema) as needed. Nothing
// fn did is kept when it fails.
func (s *Store) userUpdate(owner []byte, fn func(ub, shares bucket) error) error {
	return s.be.update(func(tx bucket) error {
		root, err := userRoot(tx)
		if err != nil {
			return err
		}
		ub, err := root.CreateBucketIfNotExists(ownerKey(owner))
		if err != nil {
			return fmt.Errorf("owner bucket: %w", err)
		}
		shares, err := root.CreateBucketIfNotExists(bucketShares)
		if err != nil {
			return err
		}
		return fn(ub, shares)
	})
}

// userRoot returns the userdata bucket of a write transaction, creating
// it with its schema version.
func userRoot(tx bucket) (bucket, error) {
	root, err := tx.CreateBucketIfNotExists(bucketUserData)
	if err != nil {
		return nil, fmt.Errorf("user data bucket: %w", err)
	}
	if root.Get(keySchema) == nil {
		return root, root.Put(keySchema, binary.BigEndian.AppendUint32(nil, UserDataSchemaVersion))
	}
	return root, checkUserSchema(root)
}

func checkUserSchema(root bucket) error {
	v := root.Get(keySchema)
	switch {
	case len(v) != 4:
		return fmt.Errorf("user data: %w: schema version is %d bytes long", ErrCorrupt, len(v))
	case binary.BigEndian.Uint32(v) > UserDataSchemaVersion:
		return fmt.Errorf("user data: %w: schema %d, this cartago reads up to %d", ErrSchemaNewer,
			binary.BigEndian.Uint32(v), UserDataSchemaVersion)
	}
	return nil
}

// sub returns the named sub-bucket of b, or nil (also for a nil b).
func sub(b bucket, name []byte) bucket {
	if b == nil {
		return nil
	}
	return b.Bucket(name)
}

// get is b.Get(key), or nil for a nil b.
func get(b bucket, key []byte) []byte {
	if b == nil {
		return nil
	}
	return b.Get(key)
}

// Preferences returns the owner's stored preferences object, or nil when
// none is stored.
func (s *Store) Preferences(owner []byte) ([]byte, error) {
	var out []byte
	err := s.userView(owner, func(ub bucket) error {
		if ub != nil {
			out = clone(ub.Get(keyPreferences))
		}
		return nil
	})
	return out, err
}

// UpdatePreferences replaces the owner's preferences with what fn makes
// of the stored ones (nil when none), in one transaction: concurrent
// updates do not lose each other's keys. An error from fn changes
// nothing.
func (s *Store) UpdatePreferences(owner []byte, fn func(cur []byte) ([]byte, error)) error {
	return s.userUpdate(owner, func(ub, _ bucket) error {
		next, err := fn(clone(ub.Get(keyPreferences)))
		if err != nil {
			return err
		}
		return ub.Put(keyPreferences, next)
	})
}

// Objects returns every object of kind the owner stored, by name.
func (s *Store) Objects(owner []byte, kind Kind) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.userView(owner, func(ub bucket) error {
		b := sub(ub, []byte(kind))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			out[string(k)] = clone(v)
			return nil
		})
	})
	return out, err
}

// PutObject stores value under name, replacing an object of that name.
// A new name beyond limit objects of kind is ErrTooMany.
func (s *Store) PutObject(owner []byte, kind Kind, name string, value []byte, limit int) error {
	if name == "" {
		return fmt.Errorf("%s: empty name", kind)
	}
	return s.userUpdate(owner, func(ub, _ bucket) error {
		b, err := ub.CreateBucketIfNotExists([]byte(kind))
		if err != nil {
			return err
		}
		if b.Get([]byte(name)) == nil && countKeys(b) >= limit {
			return fmt.Errorf("%s: %w (at most %d)", kind, ErrTooMany, limit)
		}
		return b.Put([]byte(name), value)
	})
}

// DeleteObject removes the object name of kind; ErrNoEntry when there is
// none.
func (s *Store) DeleteObject(owner []byte, kind Kind, name string) error {
	return s.userUpdate(owner, func(ub, _ bucket) error {
		b := ub.Bucket([]byte(kind))
		if b == nil || b.Get([]byte(name)) == nil {
			return fmt.Errorf("%s %q: %w", kind, name, ErrNoEntry)
		}
		return b.Delete([]byte(name))
	})
}

// countKeys counts b's keys; the callers' limits keep buckets small.
func countKeys(b bucket) int {
	n := 0
	_ = b.ForEach(func(_, _ []byte) error { n++; return nil })
	return n
}

// clone copies bbolt memory, which is valid only in its transaction.
func clone(v []byte) []byte {
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}
