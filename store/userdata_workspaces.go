package store

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// WorkspaceInfo describes a stored workspace without its contents.
type WorkspaceInfo struct {
	Name string `json:"name"`
	// ID is stable across saves under the same name; the frontend shares
	// a workspace by it.
	ID string `json:"id"`
	// Date is when it was last saved.
	Date time.Time `json:"date"`
	// ShareKey is set once the workspace was shared.
	ShareKey string `json:"shareKey,omitempty"`
	// Size is the length of its JSON in bytes.
	Size int `json:"size"`
}

// Workspace is a stored workspace: its description and the JSON the
// frontend saved, verbatim.
type Workspace struct {
	WorkspaceInfo
	Owner []byte // who saved it
	Data  []byte
}

// workspaceMeta is the stored form of WorkspaceInfo (its name is the
// key).
type workspaceMeta struct {
	ID       string `json:"id"`
	DateMs   int64  `json:"dateMs"`
	ShareKey string `json:"shareKey,omitempty"`
	Size     int    `json:"size"`
}

// shareRecord is what a share key points to.
type shareRecord struct {
	Owner string `json:"owner"` // hex
	ID    string `json:"id"`
}

// Workspaces lists the owner's workspaces, newest first. A description
// that does not decode is reported as an error after the others.
func (s *Store) Workspaces(owner []byte) ([]WorkspaceInfo, error) {
	var out []WorkspaceInfo
	var bad []error
	err := s.userView(owner, func(ub bucket) error {
		b := sub(ub, bucketWsMeta)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			info, err := decodeWorkspaceMeta(string(k), v)
			if err != nil {
				bad = append(bad, err)
				return nil
			}
			out = append(out, info)
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b WorkspaceInfo) int { return b.Date.Compare(a.Date) })
	return out, errors.Join(append([]error{err}, bad...)...)
}

func decodeWorkspaceMeta(name string, v []byte) (WorkspaceInfo, error) {
	var m workspaceMeta
	if err := json.Unmarshal(v, &m); err != nil || m.ID == "" {
		return WorkspaceInfo{}, fmt.Errorf("workspace %q: %w: bad description", name, ErrCorrupt)
	}
	return WorkspaceInfo{Name: name, ID: m.ID, Date: time.UnixMilli(m.DateMs), ShareKey: m.ShareKey, Size: m.Size}, nil
}

// Workspace returns the owner's workspace name; ErrNoEntry when there is
// none.
func (s *Store) Workspace(owner []byte, name string) (*Workspace, error) {
	var w *Workspace
	err := s.userView(owner, func(ub bucket) error {
		var err error
		w, err = readWorkspace(ub, owner, name)
		return err
	})
	return w, err
}

func readWorkspace(ub bucket, owner []byte, name string) (*Workspace, error) {
	meta := sub(ub, bucketWsMeta)
	if get(meta, []byte(name)) == nil {
		return nil, fmt.Errorf("workspace %q: %w", name, ErrNoEntry)
	}
	info, err := decodeWorkspaceMeta(name, meta.Get([]byte(name)))
	if err != nil {
		return nil, err
	}
	data := get(sub(ub, bucketWsData), []byte(name))
	if data == nil || len(data) != info.Size {
		return nil, fmt.Errorf("workspace %q: %w: contents missing or of the wrong size", name, ErrCorrupt)
	}
	return &Workspace{WorkspaceInfo: info, Owner: clone(owner), Data: clone(data)}, nil
}

// WorkspaceLimits bound what one owner keeps; PutWorkspace refuses to
// pass them with ErrTooMany.
type WorkspaceLimits struct {
	Count int // workspaces
	Bytes int // their summed size
}

// PutWorkspace stores data as the owner's workspace name, replacing one
// of that name (which keeps its id and share key), and returns its
// description. Passing a limit is ErrTooMany.
// Metadata and contents change in one transaction: after a crash the
// workspace is either wholly there or not at all.
func (s *Store) PutWorkspace(owner []byte, name string, data []byte, now time.Time, limit WorkspaceLimits) (WorkspaceInfo, error) {
	if name == "" {
		return WorkspaceInfo{}, errors.New("workspace: empty name")
	}
	var info WorkspaceInfo
	err := s.userUpdate(owner, func(ub, _ bucket) error {
		meta, wsData, ids, err := workspaceBuckets(ub)
		if err != nil {
			return err
		}
		m := workspaceMeta{ID: newID(), DateMs: now.UnixMilli(), Size: len(data)}
		if old := meta.Get([]byte(name)); old != nil {
			if prev, err := decodeWorkspaceMeta(name, old); err == nil {
				m.ID, m.ShareKey = prev.ID, prev.ShareKey
			}
		}
		if err := checkWorkspaceLimits(meta, name, len(data), limit); err != nil {
			return err
		}
		v, _ := json.Marshal(m) // plain struct: cannot fail
		if err := errors.Join(meta.Put([]byte(name), v), wsData.Put([]byte(name), data),
			ids.Put([]byte(m.ID), []byte(name))); err != nil {
			return fmt.Errorf("workspace %q: %w", name, err)
		}
		info = WorkspaceInfo{Name: name, ID: m.ID, Date: time.UnixMilli(m.DateMs), ShareKey: m.ShareKey, Size: m.Size}
		return nil
	})
	return info, err
}

// checkWorkspaceLimits checks that storing size bytes as name keeps the
// owner within limit.
func checkWorkspaceLimits(meta bucket, name string, size int, limit WorkspaceLimits) error {
	count, total := 0, size
	err := meta.ForEach(func(k, v []byte) error {
		if string(k) == name {
			return nil // replaced
		}
		count++
		if info, err := decodeWorkspaceMeta(string(k), v); err == nil {
			total += info.Size
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case count >= limit.Count:
		return fmt.Errorf("workspaces: %w: at most %d", ErrTooMany, limit.Count)
	case total > limit.Bytes:
		return fmt.Errorf("workspaces: %w: at most %d bytes in all", ErrTooMany, limit.Bytes)
	}
	return nil
}

func workspaceBuckets(ub bucket) (meta, data, ids bucket, err error) {
	if meta, err = ub.CreateBucketIfNotExists(bucketWsMeta); err != nil {
		return
	}
	if data, err = ub.CreateBucketIfNotExists(bucketWsData); err != nil {
		return
	}
	ids, err = ub.CreateBucketIfNotExists(bucketWsIDs)
	return
}

// DeleteWorkspace removes the owner's workspace name and its share key;
// ErrNoEntry when there is none.
func (s *Store) DeleteWorkspace(owner []byte, name string) error {
	return s.userUpdate(owner, func(ub, shares bucket) error {
		return deleteWorkspace(ub, shares, name)
	})
}

func deleteWorkspace(ub, shares bucket, name string) error {
	meta, data, ids, err := workspaceBuckets(ub)
	if err != nil {
		return err
	}
	v := meta.Get([]byte(name))
	if v == nil {
		return fmt.Errorf("workspace %q: %w", name, ErrNoEntry)
	}
	// A corrupt description is still deleted; its id and key are lost.
	if info, err := decodeWorkspaceMeta(name, v); err == nil {
		if err := errors.Join(ids.Delete([]byte(info.ID)), deleteShare(shares, info.ShareKey)); err != nil {
			return err
		}
	}
	return errors.Join(meta.Delete([]byte(name)), data.Delete([]byte(name)))
}

func deleteShare(shares bucket, key string) error {
	if key == "" {
		return nil
	}
	return shares.Delete([]byte(key))
}

// ShareWorkspace returns the share key of the owner's workspace with id,
// making one on the first call: anyone who may use the server can then
// read the workspace by the key (SharedWorkspace). ErrNoEntry when the
// owner has no workspace with that id.
func (s *Store) ShareWorkspace(owner []byte, id string) (string, error) {
	var key string
	err := s.userUpdate(owner, func(ub, shares bucket) error {
		name := get(sub(ub, bucketWsIDs), []byte(id))
		if name == nil {
			return fmt.Errorf("workspace id %q: %w", id, ErrNoEntry)
		}
		meta := ub.Bucket(bucketWsMeta)
		info, err := decodeWorkspaceMeta(string(name), meta.Get(name))
		if err != nil {
			return err
		}
		if info.ShareKey != "" {
			key = info.ShareKey
			return nil
		}
		key = newID()
		rec, _ := json.Marshal(shareRecord{Owner: hex.EncodeToString(owner), ID: id})
		m, _ := json.Marshal(workspaceMeta{ID: info.ID, DateMs: info.Date.UnixMilli(), ShareKey: key, Size: info.Size})
		return errors.Join(shares.Put([]byte(key), rec), meta.Put(name, m))
	})
	return key, err
}

// SharedWorkspace returns the workspace shared under key, whoever owns
// it; ErrNoEntry for an unknown key or a workspace deleted since.
func (s *Store) SharedWorkspace(key string) (*Workspace, error) {
	var w *Workspace
	err := s.be.view(func(tx bucket) error {
		root := tx.Bucket(bucketUserData)
		v := get(sub(root, bucketShares), []byte(key))
		if v == nil {
			return fmt.Errorf("share key: %w", ErrNoEntry)
		}
		if err := checkUserSchema(root); err != nil {
			return err
		}
		var rec shareRecord
		owner, err := decodeShare(v, &rec)
		if err != nil {
			return err
		}
		ub := root.Bucket(ownerKey(owner))
		name := get(sub(ub, bucketWsIDs), []byte(rec.ID))
		if name == nil {
			return fmt.Errorf("shared workspace: %w", ErrNoEntry)
		}
		w, err = readWorkspace(ub, owner, string(name))
		if err == nil && w.ShareKey != key {
			w, err = nil, fmt.Errorf("shared workspace: %w", ErrNoEntry)
		}
		return err
	})
	return w, err
}

func decodeShare(v []byte, rec *shareRecord) ([]byte, error) {
	err := json.Unmarshal(v, rec)
	owner, herr := hex.DecodeString(rec.Owner)
	if err != nil || herr != nil || rec.ID == "" {
		return nil, fmt.Errorf("share: %w", ErrCorrupt)
	}
	return owner, nil
}

// newID is a random 128-bit identifier in hex; as a share key it is the
// only secret between the owner and who they share with.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on Linux
	return hex.EncodeToString(b[:])
}
