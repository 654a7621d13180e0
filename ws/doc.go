// Package ws is the transport: one HTTP listener serving the frontend's
// static files, /config and websocket upgrades on any path (from allowed
// origins only, origin.go). Each socket gets three goroutines owned by
// conn.run: the read loop (the only reader; it answers PING itself), the
// handler goroutine (runs the session's handlers one message at a time,
// in order, fed by a bounded inbox) and the write loop (the only writer,
// fed by an outbox bounded in count and bytes with a drop policy per
// message class, outbox.go). Incoming and queued bytes are charged to the
// server's memory budget. With permessage-deflate negotiated, only the
// messages that shrink are deflated (compress.go).
package ws
