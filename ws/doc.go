// Package ws is the transport: one HTTP listener serving the frontend's
// static files, /config and websocket upgrades on any path. Each socket
// gets one read loop (the only reader, which also runs the session's
// handlers in order) and one write loop (the only writer) joined by a
// bounded queue.
package ws
