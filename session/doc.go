// Package session holds per-session state and one handler per ICD message
// type. The transport (package ws) owns sockets and framing; it creates a
// Client per connection and feeds it decoded frames. Handlers return Go
// errors; Client.Handle is the one place where they become ERROR_DATA.
//
// Lock order: Manager.mu, then anything inside a Session. A Client's own
// fields are touched only from the connection's read loop.
package session
