package hdf5

import (
	"fmt"
)

// Message types this package reads.
const (
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgLink         = 0x06
	msgExternal     = 0x07
	msgLayout       = 0x08
	msgFilters      = 0x0B
	msgAttribute    = 0x0C
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

// message is one header message.
type message struct {
	typ   uint16
	flags uint8
	data  []byte
}

// Object is a group or dataset: its object header's messages.
type Object struct {
	f    *File
	addr uint64
	msgs []message
}

// object reads the object header at addr.
func (f *File) object(addr uint64) (*Object, error) {
	head, err := f.readUpTo(addr, 16)
	if err != nil {
		return nil, err
	}
	o := &Object{f: f, addr: addr}
	if len(head) >= 4 && string(head[:4]) == "OHDR" {
		err = o.readV2(addr)
	} else if len(head) > 0 && head[0] == 1 {
		err = o.readV1(addr)
	} else {
		err = fmt.Errorf("%w: no object header at %#x", ErrCorrupt, addr)
	}
	if err != nil {
		return nil, fmt.Errorf("object header at %#x: %w", addr, err)
	}
	for _, m := range o.msgs {
		if m.flags&0x02 != 0 && m.typ != msgContinuation {
			return nil, fmt.Errorf("object header at %#x: %w: shared message of type %#x", addr, ErrUnsupported, m.typ)
		}
	}
	return o, nil
}

// block is a continuation block still to read.
type block struct{ addr, size uint64 }

func (o *Object) readV1(addr uint64) error {
	hdr, err := o.f.readMeta(addr, 16)
	if err != nil {
		return err
	}
	b := o.f.buf(hdr)
	b.skip(2)
	nmsgs := int(b.u16())
	b.skip(4)
	size := uint64(b.u32())
	todo := []block{{addr + 16, size}}
	total := uint64(0)
	for n := 0; len(todo) > 0; n++ {
		if n > maxHeaderCh {
			return fmt.Errorf("%w: more than %d continuation blocks", ErrCorrupt, maxHeaderCh)
		}
		blk := todo[0]
		todo = todo[1:]
		if total += blk.size; total > maxMeta {
			return fmt.Errorf("%w: object header of more than %d bytes", ErrCorrupt, maxMeta)
		}
		data, err := o.f.readMeta(blk.addr, blk.size)
		if err != nil {
			return err
		}
		more, err := o.parseV1Block(data)
		if err != nil {
			return err
		}
		todo = append(todo, more...)
	}
	_ = nmsgs // the count includes messages we skip; not checked
	return nil
}

func (o *Object) parseV1Block(data []byte) ([]block, error) {
	b := o.f.buf(data)
	var more []block
	for len(data)-b.p >= 8 {
		typ, size := b.u16(), int(b.u16())
		flags := b.u8()
		b.skip(3)
		body := b.bytes(size)
		if b.err != nil {
			return nil, b.err
		}
		if m, ok, err := o.add(typ, flags, body); err != nil {
			return nil, err
		} else if ok {
			more = append(more, m)
		}
		b.skip((8 - b.p%8) % 8)
		b.err = nil // trailing padding may end the block
	}
	return more, nil
}

func (o *Object) readV2(addr uint64) error {
	head, err := o.f.readUpTo(addr, 4+1+1+16+4+8)
	if err != nil {
		return err
	}
	b := o.f.buf(head)
	b.sig("OHDR")
	if v := b.u8(); v != 2 {
		return fmt.Errorf("%w: object header version %d", ErrUnsupported, v)
	}
	flags := b.u8()
	if flags&0x20 != 0 {
		b.skip(16)
	}
	if flags&0x10 != 0 {
		b.skip(4)
	}
	size := b.uN(1 << (flags & 3))
	if b.err != nil {
		return b.err
	}
	track := flags&0x04 != 0
	start := uint64(b.p)
	data, err := o.f.readMeta(addr+start, size)
	if err != nil {
		return err
	}
	todo, err := o.parseV2Block(data, track)
	if err != nil {
		return err
	}
	total := size
	for n := 0; len(todo) > 0; n++ {
		if n > maxHeaderCh {
			return fmt.Errorf("%w: more than %d continuation blocks", ErrCorrupt, maxHeaderCh)
		}
		blk := todo[0]
		todo = todo[1:]
		if blk.size < 8 {
			return fmt.Errorf("%w: continuation block of %d bytes", ErrCorrupt, blk.size)
		}
		if total += blk.size; total > maxMeta {
			return fmt.Errorf("%w: object header of more than %d bytes", ErrCorrupt, maxMeta)
		}
		data, err := o.f.readMeta(blk.addr, blk.size)
		if err != nil {
			return err
		}
		if string(data[:4]) != "OCHK" {
			return fmt.Errorf("%w: continuation block without OCHK", ErrCorrupt)
		}
		more, err := o.parseV2Block(data[4:len(data)-4], track)
		if err != nil {
			return err
		}
		todo = append(todo, more...)
	}
	return nil
}

func (o *Object) parseV2Block(data []byte, track bool) ([]block, error) {
	b := o.f.buf(data)
	hdr := 4
	if track {
		hdr = 6
	}
	var more []block
	for len(data)-b.p >= hdr {
		typ := uint16(b.u8())
		size := int(b.u16())
		flags := b.u8()
		if track {
			b.skip(2)
		}
		body := b.bytes(size)
		if b.err != nil {
			return nil, b.err
		}
		if m, ok, err := o.add(typ, flags, body); err != nil {
			return nil, err
		} else if ok {
			more = append(more, m)
		}
	}
	return more, nil
}

// add keeps a message; a continuation message returns its block.
func (o *Object) add(typ uint16, flags uint8, body []byte) (block, bool, error) {
	if typ == msgContinuation {
		b := o.f.buf(body)
		blk := block{b.addr(), b.length()}
		return blk, b.err == nil, b.err
	}
	if typ != 0 {
		if len(o.msgs) >= maxObjects {
			return block{}, false, fmt.Errorf("%w: too many header messages", ErrCorrupt)
		}
		o.msgs = append(o.msgs, message{typ: typ, flags: flags, data: body})
	}
	return block{}, false, nil
}

// find returns the first message of a type.
func (o *Object) find(typ uint16) (message, bool) {
	for _, m := range o.msgs {
		if m.typ == typ {
			return m, true
		}
	}
	return message{}, false
}

// IsDataset reports whether the object is a dataset (has a layout).
func (o *Object) IsDataset() bool {
	_, ok := o.find(msgLayout)
	return ok
}

// IsGroup reports whether the object is a group.
func (o *Object) IsGroup() bool {
	if o.IsDataset() {
		return false
	}
	for _, t := range []uint16{msgSymbolTable, msgLink, msgLinkInfo} {
		if _, ok := o.find(t); ok {
			return true
		}
	}
	return false
}
