package session

import (
	"context"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// Sender is the outgoing half of a connection, implemented by package ws.
type Sender interface {
	// Send queues one message. It blocks while the outgoing queue is full
	// and fails once ctx ends or the connection is closed. It encodes m
	// before returning, so the caller may reuse m's buffers afterwards.
	Send(ctx context.Context, t icd.EventType, requestID uint32, m proto.Message) error
	// Close ends the connection with a close frame carrying reason.
	// Safe for concurrent use and idempotent.
	Close(reason string)
}
