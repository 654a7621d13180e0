package session

import "errors"

// Errors returned by handlers; Client.Handle turns them into ERROR_DATA.
var (
	// ErrBadPayload means the protobuf payload did not decode.
	ErrBadPayload = errors.New("undecodable payload")
	// ErrUnknownEvent means the event type is not part of ICD 30.
	ErrUnknownEvent = errors.New("unknown event type")
	// ErrUnsupported means the event is valid ICD but not served yet.
	ErrUnsupported = errors.New("not supported by this server yet")
	// ErrNotRegistered means a session message arrived before REGISTER_VIEWER.
	ErrNotRegistered = errors.New("REGISTER_VIEWER must come first")
	// ErrWrongDirection means a client sent a server-to-client message.
	ErrWrongDirection = errors.New("message is sent by servers, not clients")
)
