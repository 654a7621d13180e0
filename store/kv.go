package store

import (
	"errors"

	bolt "go.etcd.io/bbolt"
)

// bucket is what the store's code needs of a bbolt bucket, so that one
// implementation of sessions and user data runs on both backends: bbolt
// buckets as they are (boltBucket), and etcd keys laid out as buckets
// (etcdBucket, etcd_bucket.go). The root of a transaction is a bucket
// holding only buckets. A bucket is valid only inside its transaction.
type bucket interface {
	// Get returns the value of key, nil when absent or a bucket. Its
	// bytes are valid only during the transaction.
	Get(key []byte) []byte
	Put(key, value []byte) error
	Delete(key []byte) error
	// ForEach calls fn for every key in order, v nil for sub-buckets.
	// fn must not change the bucket.
	ForEach(fn func(k, v []byte) error) error
	// Bucket returns the sub-bucket name, or nil.
	Bucket(name []byte) bucket
	CreateBucketIfNotExists(name []byte) (bucket, error)
	// DeleteBucket removes the sub-bucket name and all it holds.
	DeleteBucket(name []byte) error
	Writable() bool
}

// backend is one kind of storage under Store.
type backend interface {
	view(fn func(root bucket) error) error
	update(fn func(root bucket) error) error
	// countSessions is the number of keys in the sessions bucket.
	countSessions() (int, error)
	size() (int64, error)
	check() error
	close() error
}

// boltBucket adapts a bbolt bucket (or, with tx set, a transaction's
// root) to bucket.
type boltBucket struct {
	b  *bolt.Bucket
	tx *bolt.Tx // set for the root only
}

var errRootValue = errors.New("store: the root holds only buckets")

func (b boltBucket) Get(k []byte) []byte {
	if b.b == nil {
		return nil
	}
	return b.b.Get(k)
}

func (b boltBucket) Put(k, v []byte) error {
	if b.b == nil {
		return errRootValue
	}
	return b.b.Put(k, v)
}

func (b boltBucket) Delete(k []byte) error {
	if b.b == nil {
		return errRootValue
	}
	return b.b.Delete(k)
}

func (b boltBucket) ForEach(fn func(k, v []byte) error) error {
	if b.b == nil {
		return b.tx.ForEach(func(name []byte, _ *bolt.Bucket) error { return fn(name, nil) })
	}
	return b.b.ForEach(fn)
}

func (b boltBucket) Bucket(name []byte) bucket {
	var sub *bolt.Bucket
	if b.b == nil {
		sub = b.tx.Bucket(name)
	} else {
		sub = b.b.Bucket(name)
	}
	if sub == nil {
		return nil // an untyped nil, so that callers' nil checks work
	}
	return boltBucket{b: sub}
}

func (b boltBucket) CreateBucketIfNotExists(name []byte) (bucket, error) {
	var sub *bolt.Bucket
	var err error
	if b.b == nil {
		sub, err = b.tx.CreateBucketIfNotExists(name)
	} else {
		sub, err = b.b.CreateBucketIfNotExists(name)
	}
	if err != nil {
		return nil, err
	}
	return boltBucket{b: sub}, nil
}

func (b boltBucket) DeleteBucket(name []byte) error {
	if b.b == nil {
		return b.tx.DeleteBucket(name)
	}
	return b.b.DeleteBucket(name)
}

func (b boltBucket) Writable() bool {
	if b.b == nil {
		return b.tx.Writable()
	}
	return b.b.Tx().Writable()
}
