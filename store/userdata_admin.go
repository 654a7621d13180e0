package store

import (
	"errors"
	"fmt"
)

// UserDataSummary counts what one owner stored.
type UserDataSummary struct {
	Owner            []byte
	PreferencesBytes int // length of the preferences JSON; 0 when none
	Layouts          int
	Snippets         int
	Workspaces       int
}

// UserDataOwners summarizes the user data of every owner.
func (s *Store) UserDataOwners() ([]UserDataSummary, error) {
	var out []UserDataSummary
	err := s.be.view(func(tx bucket) error {
		root := tx.Bucket(bucketUserData)
		if root == nil {
			return nil
		}
		if err := checkUserSchema(root); err != nil {
			return err
		}
		return root.ForEach(func(k, v []byte) error {
			ub := root.Bucket(k)
			if v != nil || ub == nil || len(k) == 0 || k[0] != ownerBucketPrefix {
				return nil // schema key, shares bucket
			}
			out = append(out, UserDataSummary{
				Owner:            clone(k[1:]),
				PreferencesBytes: len(ub.Get(keyPreferences)),
				Layouts:          countIn(ub, []byte(Layouts)),
				Snippets:         countIn(ub, []byte(Snippets)),
				Workspaces:       countIn(ub, bucketWsMeta),
			})
			return nil
		})
	})
	return out, err
}

func countIn(ub bucket, name []byte) int {
	if b := ub.Bucket(name); b != nil {
		return countKeys(b)
	}
	return 0
}

// Purge selects what PurgeUserData removes.
type Purge struct {
	Preferences bool
	Layouts     bool
	Snippets    bool
	Workspaces  bool
}

// PurgeUserData removes what p selects of the owner's user data, with
// the share keys of removed workspaces, and returns how many entries
// went (the preferences object counts as one).
func (s *Store) PurgeUserData(owner []byte, p Purge) (int, error) {
	n := 0
	err := s.be.update(func(tx bucket) error {
		n = 0
		root := tx.Bucket(bucketUserData)
		ub := sub(root, ownerKey(owner))
		if ub == nil {
			return nil
		}
		if err := checkUserSchema(root); err != nil {
			return err
		}
		if p.Preferences && ub.Get(keyPreferences) != nil {
			n++
			if err := ub.Delete(keyPreferences); err != nil {
				return err
			}
		}
		for _, k := range []struct {
			on   bool
			kind Kind
		}{{p.Layouts, Layouts}, {p.Snippets, Snippets}} {
			if k.on {
				n += countIn(ub, []byte(k.kind))
				if err := deleteBucket(ub, []byte(k.kind)); err != nil {
					return err
				}
			}
		}
		if p.Workspaces {
			gone, err := purgeWorkspaces(ub, root.Bucket(bucketShares))
			n += gone
			return err
		}
		return nil
	})
	return n, err
}

func purgeWorkspaces(ub, shares bucket) (int, error) {
	meta := ub.Bucket(bucketWsMeta)
	if meta == nil {
		return 0, nil
	}
	var errs []error
	n := 0
	err := meta.ForEach(func(k, v []byte) error {
		n++
		if info, err := decodeWorkspaceMeta(string(k), v); err == nil && info.ShareKey != "" && shares != nil {
			errs = append(errs, shares.Delete([]byte(info.ShareKey)))
		}
		return nil
	})
	for _, b := range [][]byte{bucketWsMeta, bucketWsData, bucketWsIDs} {
		errs = append(errs, deleteBucket(ub, b))
	}
	if err := errors.Join(append(errs, err)...); err != nil {
		return 0, fmt.Errorf("purge workspaces: %w", err)
	}
	return n, nil
}

func deleteBucket(b bucket, name []byte) error {
	if b.Bucket(name) == nil {
		return nil
	}
	return b.DeleteBucket(name)
}
