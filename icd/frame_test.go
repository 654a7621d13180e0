package icd

import (
	"bytes"
	"errors"
	"testing"
)

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name    string
		frame   []byte
		want    Header
		payload []byte
		err     error
	}{
		{"empty", nil, Header{}, nil, ErrShortFrame},
		{"seven bytes", []byte{1, 0, 30, 0, 1, 0, 0}, Header{}, nil, ErrShortFrame},
		{"register viewer, empty payload", []byte{1, 0, 30, 0, 1, 0, 0, 0},
			Header{Type: 1, Version: 30, RequestID: 1}, []byte{}, nil},
		{"little-endian fields", []byte{0x5a, 0x00, 0x1c, 0x00, 0x78, 0x56, 0x34, 0x12, 0xaa},
			Header{Type: 90, Version: 28, RequestID: 0x12345678}, []byte{0xaa}, nil},
		{"max values", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			Header{Type: 0xffff, Version: 0xffff, RequestID: 0xffffffff}, []byte{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, p, err := DecodeFrame(tc.frame)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if h != tc.want {
				t.Errorf("header = %+v, want %+v", h, tc.want)
			}
			if !bytes.Equal(p, tc.payload) {
				t.Errorf("payload = %x, want %x", p, tc.payload)
			}
		})
	}
}

func TestAppendHeader(t *testing.T) {
	got := AppendHeader([]byte{0xee}, Header{Type: 18, Version: Version, RequestID: 0x01020304})
	want := []byte{0xee, 18, 0, 30, 0, 4, 3, 2, 1}
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendHeader = %x, want %x", got, want)
	}
}

// FuzzDecodeHeader checks that any input either fails cleanly or round-trips
// through AppendHeader unchanged.
func FuzzDecodeHeader(f *testing.F) {
	f.Add([]byte{1, 0, 30, 0, 1, 0, 0, 0, 0x0d, 0x39, 0x30, 0, 0})
	f.Add([]byte{0x48, 0x00})
	f.Fuzz(func(t *testing.T, frame []byte) {
		h, p, err := DecodeFrame(frame)
		if err != nil {
			if len(frame) >= HeaderSize {
				t.Fatalf("error on %d-byte frame: %v", len(frame), err)
			}
			return
		}
		re := append(AppendHeader(nil, h), p...)
		if !bytes.Equal(re, frame) {
			t.Fatalf("round trip %x != %x", re, frame)
		}
	})
}
