package hdf5

import "fmt"

// v1B-tree node types.
const (
	btreeGroup = 0
	btreeChunk = 1
)

// btree1Node is one parsed v1 B-tree node.
type btree1Node struct {
	level    int
	keys     [][]byte // entries+1 keys
	children []uint64
}

// readBtree1 parses the node at addr; keySize is the key's size.
func (f *File) readBtree1(addr uint64, typ int, keySize int) (*btree1Node, error) {
	head, err := f.readMeta(addr, uint64(8+2*f.offSize))
	if err != nil {
		return nil, err
	}
	b := f.buf(head)
	b.sig("TREE")
	if t := int(b.u8()); b.err == nil && t != typ {
		return nil, fmt.Errorf("%w: B-tree node of type %d, want %d", ErrCorrupt, t, typ)
	}
	level := int(b.u8())
	n := int(b.u16())
	if b.err != nil {
		return nil, b.err
	}
	size := uint64(len(head)) + uint64(n)*uint64(keySize+f.offSize) + uint64(keySize)
	data, err := f.readMeta(addr, size)
	if err != nil {
		return nil, err
	}
	b = f.buf(data)
	b.skip(len(head))
	node := &btree1Node{level: level}
	for i := 0; i < n; i++ {
		node.keys = append(node.keys, b.bytes(keySize))
		node.children = append(node.children, b.addr())
	}
	node.keys = append(node.keys, b.bytes(keySize))
	return node, b.err
}

// walkBtree1 calls leaf for every child address of the level-0 nodes
// under addr with the key before it.
func (f *File) walkBtree1(addr uint64, typ, keySize int, leaf func(key []byte, child uint64) error) error {
	seen := 0
	var walk func(addr uint64, depth int) error
	walk = func(addr uint64, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("%w: B-tree deeper than %d", ErrCorrupt, maxDepth)
		}
		node, err := f.readBtree1(addr, typ, keySize)
		if err != nil {
			return fmt.Errorf("B-tree node at %#x: %w", addr, err)
		}
		for i, c := range node.children {
			if seen++; seen > maxObjects {
				return fmt.Errorf("%w: B-tree with more than %d entries", ErrCorrupt, maxObjects)
			}
			if node.level == 0 {
				if err := leaf(node.keys[i], c); err != nil {
					return err
				}
				continue
			}
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(addr, 0)
}
