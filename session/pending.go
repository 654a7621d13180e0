package session

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"cartago/icd"
)

// This file answers valid ICD requests that this server does not serve
// yet. A request the frontend waits for gets its own response type with
// success=false, so the frontend shows an error instead of a spinner that
// never stops; a command gets a WARNING ERROR_DATA.

// response names the reply event of a request and a prototype of its
// message, which must have "success" and "message" fields.
type response struct {
	event icd.EventType
	proto proto.Message
}

var pendingRequests = map[icd.EventType]response{
	icd.EventType_REMOTE_FILE_REQUEST: {icd.EventType_REMOTE_FILE_RESPONSE, &icd.RemoteFileResponse{}},
}

// pendingCommands are client messages without a reply.
var pendingCommands = []icd.EventType{
	icd.EventType_SCRIPTING_RESPONSE,
}

// refuseRequest answers a request with its own response type, success=false.
func refuseRequest(resp response) func(*Client, request) error {
	return func(c *Client, r request) error {
		m := proto.Clone(resp.proto)
		setAck(m.ProtoReflect(), false, fmt.Sprintf("%s is %s", r.hdr.Type, ErrUnsupported))
		c.send(r.ctx, resp.event, r.hdr.RequestID, m)
		return nil
	}
}

func refuseCommand(_ *Client, r request) error {
	return icdError(r, ErrUnsupported)
}

// setAck fills the success and message fields every ICD ack carries.
func setAck(m protoreflect.Message, ok bool, msg string) {
	fields := m.Descriptor().Fields()
	m.Set(fields.ByName("success"), protoreflect.ValueOfBool(ok))
	m.Set(fields.ByName("message"), protoreflect.ValueOfString(msg))
}

func icdError(r request, err error) error {
	return fmt.Errorf("%s: %w", r.hdr.Type, err)
}
