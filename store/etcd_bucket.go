package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// etcd has flat keys; the store's buckets are laid out under the prefix
// as paths, each name percent-escaped so that it never holds a '/':
//
//	<prefix>d/                    the root
//	<bucket>v/<key>               a value of the bucket
//	<bucket>b/<name>              marks the sub-bucket name as existing
//	<bucket>s/<name>/             the sub-bucket's own prefix
//
// so that a bucket's values and sub-buckets are two short ranges, never
// what its sub-buckets hold. A transaction (etcdTxn) reads at one
// revision, keeps its writes in memory and commits them with etcd's Txn,
// guarded by the revisions of what it read: a concurrent writer makes the
// commit fail and the whole transaction run again (optimistic
// concurrency, as etcd's own STM does, plus ranges).

// ErrTooLarge means a value, even compressed, exceeds what one etcd
// request may carry.
var ErrTooLarge = errors.New("value too large for the store")

// errConflict means another writer changed what a transaction read.
var errConflict = errors.New("store: concurrent change; transaction retried")

// escapeName keeps [A-Za-z0-9._-] and writes every other byte as %XX.
func escapeName(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			sb.WriteByte(c)
			continue
		}
		fmt.Fprintf(&sb, "%%%02X", c)
	}
	return sb.String()
}

func unescapeName(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		var c byte
		if i+2 >= len(s) {
			return nil, fmt.Errorf("%w: bad key %q", ErrCorrupt, s)
		}
		if _, err := fmt.Sscanf(s[i+1:i+3], "%02X", &c); err != nil {
			return nil, fmt.Errorf("%w: bad key %q", ErrCorrupt, s)
		}
		out = append(out, c)
		i += 2
	}
	return out, nil
}

// pending is a write a transaction keeps until its commit.
type pending struct {
	enc []byte // the encoded value; nil for a deletion
}

// etcdTxn is one transaction on etcd; it is used by one goroutine.
type etcdTxn struct {
	be       *etcdBackend
	ctx      context.Context
	writable bool
	rev      int64            // the revision read at; 0 before the first read
	reads    map[string]int64 // key -> its mod revision seen (0: absent)
	ranges   []string         // prefixes read whole
	cache    map[string][]byte
	writes   map[string]pending
	gone     []string // prefixes deleted whole
	err      error    // the first read error; the transaction fails with it
}

func newTxn(ctx context.Context, be *etcdBackend, writable bool) *etcdTxn {
	return &etcdTxn{be: be, ctx: ctx, writable: writable, reads: map[string]int64{},
		cache: map[string][]byte{}, writes: map[string]pending{}}
}

func (t *etcdTxn) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

func (t *etcdTxn) readOpts(opts ...clientv3.OpOption) []clientv3.OpOption {
	if t.rev > 0 {
		opts = append(opts, clientv3.WithRev(t.rev))
	}
	return opts
}

func (t *etcdTxn) underGone(key string) bool {
	for _, p := range t.gone {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// get returns the decoded value of key as this transaction sees it.
func (t *etcdTxn) get(key string) ([]byte, bool) {
	if w, ok := t.writes[key]; ok {
		if w.enc == nil {
			return nil, false
		}
		v, err := t.be.decode(key, w.enc)
		return v, err == nil
	}
	if t.underGone(key) {
		return nil, false
	}
	if v, ok := t.cache[key]; ok {
		return v, v != nil
	}
	if t.err != nil {
		return nil, false
	}
	resp, err := t.be.cli.Get(t.ctx, key, t.readOpts()...)
	if err != nil {
		t.fail(fmt.Errorf("etcd get: %w", err))
		return nil, false
	}
	if t.rev == 0 {
		t.rev = resp.Header.Revision
	}
	var v []byte
	t.reads[key] = 0
	if len(resp.Kvs) == 1 {
		t.reads[key] = resp.Kvs[0].ModRevision
		if v, err = t.be.decode(key, resp.Kvs[0].Value); err != nil {
			t.fail(err)
		}
	}
	t.cache[key] = v
	return v, v != nil
}

// kv is one key of a range, its name unescaped.
type kv struct {
	k, v []byte
}

// scan returns what the transaction sees under prefix, whose keys are
// single escaped names, ordered by name.
func (t *etcdTxn) scan(prefix string) []kv {
	seen := map[string][]byte{}
	if t.err == nil && !t.underGone(prefix) {
		resp, err := t.be.cli.Get(t.ctx, prefix, t.readOpts(clientv3.WithPrefix())...)
		if err != nil {
			t.fail(fmt.Errorf("etcd range: %w", err))
			return nil
		}
		if t.rev == 0 {
			t.rev = resp.Header.Revision
		}
		t.ranges = append(t.ranges, prefix)
		for _, e := range resp.Kvs {
			if !t.underGone(string(e.Key)) {
				seen[string(e.Key)] = e.Value
			}
		}
	}
	for k, w := range t.writes {
		if strings.HasPrefix(k, prefix) {
			seen[k] = w.enc // nil: deleted
		}
	}
	out := make([]kv, 0, len(seen))
	for k, enc := range seen {
		if enc == nil {
			continue
		}
		name, err := unescapeName(k[len(prefix):])
		if err != nil {
			t.fail(err)
			continue
		}
		v, err := t.be.decode(k, enc)
		if err != nil {
			t.fail(err)
			continue
		}
		out = append(out, kv{name, v})
	}
	slices.SortFunc(out, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	return out
}

var errReadOnly = errors.New("store: write in a read-only transaction")

func (t *etcdTxn) put(key string, v []byte) error {
	if !t.writable {
		return errReadOnly
	}
	if t.underGone(key) {
		return errors.New("store: a bucket deleted and written again in one transaction")
	}
	enc, err := t.be.encode(key, v)
	if err != nil {
		return err
	}
	t.writes[key] = pending{enc: enc}
	return nil
}

func (t *etcdTxn) del(key string) error {
	if !t.writable {
		return errReadOnly
	}
	t.writes[key] = pending{}
	return nil
}

func (t *etcdTxn) delPrefix(prefix string) error {
	if !t.writable {
		return errReadOnly
	}
	for k := range t.writes {
		if strings.HasPrefix(k, prefix) {
			delete(t.writes, k)
		}
	}
	t.gone = append(t.gone, prefix)
	return nil
}

// etcdBucket is a bucket of an etcdTxn; p is its prefix.
type etcdBucket struct {
	t    *etcdTxn
	p    string
	root bool
}

func (b *etcdBucket) Get(k []byte) []byte {
	if b.root {
		return nil
	}
	v, _ := b.t.get(b.p + "v/" + escapeName(k))
	return v
}

func (b *etcdBucket) Put(k, v []byte) error {
	if b.root {
		return errRootValue
	}
	return b.t.put(b.p+"v/"+escapeName(k), v)
}

func (b *etcdBucket) Delete(k []byte) error {
	if b.root {
		return errRootValue
	}
	key := b.p + "v/" + escapeName(k)
	if _, ok := b.t.get(key); !ok {
		return nil
	}
	return b.t.del(key)
}

func (b *etcdBucket) ForEach(fn func(k, v []byte) error) error {
	all := b.t.scan(b.p + "v/")
	for _, e := range b.t.scan(b.p + "b/") {
		all = append(all, kv{k: e.k})
	}
	slices.SortStableFunc(all, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	if b.t.err != nil {
		return b.t.err
	}
	for _, e := range all {
		if err := fn(e.k, e.v); err != nil {
			return err
		}
	}
	return nil
}

func (b *etcdBucket) sub(name []byte) *etcdBucket {
	return &etcdBucket{t: b.t, p: b.p + "s/" + escapeName(name) + "/"}
}

func (b *etcdBucket) Bucket(name []byte) bucket {
	if _, ok := b.t.get(b.p + "b/" + escapeName(name)); !ok {
		return nil
	}
	return b.sub(name)
}

func (b *etcdBucket) CreateBucketIfNotExists(name []byte) (bucket, error) {
	marker := b.p + "b/" + escapeName(name)
	if _, ok := b.t.get(marker); ok {
		return b.sub(name), nil
	}
	if b.t.err != nil {
		return nil, b.t.err
	}
	if err := b.t.put(marker, []byte{}); err != nil {
		return nil, err
	}
	return b.sub(name), nil
}

func (b *etcdBucket) DeleteBucket(name []byte) error {
	marker := b.p + "b/" + escapeName(name)
	if _, ok := b.t.get(marker); !ok {
		return fmt.Errorf("bucket %q: %w", name, ErrNoEntry)
	}
	if err := b.t.del(marker); err != nil {
		return err
	}
	return b.t.delPrefix(b.sub(name).p)
}

func (b *etcdBucket) Writable() bool { return b.t.writable }
