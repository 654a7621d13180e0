// Package icd holds the CARTA wire protocol (ICD version 30): the protobuf
// messages generated from proto/*.proto and the 8-byte frame header that
// precedes every binary websocket message.
package icd

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is the ICD version this server speaks. Headers carry it until a
// client registers with another accepted version (see Accepts).
const Version = 30

// MinVersion is the oldest ICD version accepted from clients. ICD 28 and 29
// differ from 30 only by fields and one message added in 30, so their
// frames decode alike.
const MinVersion = 28

// Accepts reports whether a client registering with version v is served.
// The reference accepts only its own version ("Invalid ICD version number.
// Expected 30, got 29"); we also serve 28 and 29, and answer each client
// in the version it registered with.
func Accepts(v uint16) bool { return v >= MinVersion && v <= Version }

// HeaderSize is the length of the frame header in bytes.
const HeaderSize = 8

// ErrShortFrame is returned for frames too short to hold a header.
var ErrShortFrame = errors.New("icd: frame shorter than the 8-byte header")

// Header is the fixed prefix of every binary frame. The frontend writes it
// with typed-array views in host byte order, which is little-endian on every
// browser platform, so little-endian is the wire order.
type Header struct {
	Type      EventType
	Version   uint16
	RequestID uint32
}

// DecodeFrame splits a binary frame into its header and protobuf payload.
// The payload aliases frame.
func DecodeFrame(frame []byte) (Header, []byte, error) {
	if len(frame) < HeaderSize {
		return Header{}, nil, fmt.Errorf("%w: got %d bytes", ErrShortFrame, len(frame))
	}
	h := Header{
		Type:      EventType(binary.LittleEndian.Uint16(frame[0:2])),
		Version:   binary.LittleEndian.Uint16(frame[2:4]),
		RequestID: binary.LittleEndian.Uint32(frame[4:8]),
	}
	return h, frame[HeaderSize:], nil
}

// AppendHeader appends the encoded header to dst and returns the result.
func AppendHeader(dst []byte, h Header) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(h.Type))
	dst = binary.LittleEndian.AppendUint16(dst, h.Version)
	return binary.LittleEndian.AppendUint32(dst, h.RequestID)
}
