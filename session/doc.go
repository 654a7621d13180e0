// Package session holds per-session state and one handler per ICD message
// type. The transport (package ws) owns sockets and framing; it creates a
// Client per connection and feeds it decoded frames. Handlers return Go
// errors; Client.Handle is the one place where they become ERROR_DATA.
//
// Work that reads pixels runs on per-image workers (frame.work for tiles,
// histograms, cursor and statistics; frame.spectra for region spectra),
// so handlers return at once and the connection's handler goroutine
// stays responsive. The checkpointer goroutine is the only writer of the
// store while a server runs: handlers only mark sessions dirty, and
// purges and TTL expiry are requests to it, committed together with the
// pending snapshots.
//
// Image data is not a session's: open files, decoded planes (derived
// polarizations too), histograms, statistics and encoded tiles live in
// the Manager's cache.Cache, shared by every session and computed once
// however many ask at a time. A frame keeps only what is the client's
// (channel, cursor, requirements, regions) and references into the
// cache: its file and its current plane, which a detached session gives
// back so that memory pressure evicts its data first.
//
// Lock order: Manager.mu, then Session.mu (the attached client). The
// other Session locks — amu (animation), fmu (frames), rmu (regions) —
// are never held together, nor across a call that takes another lock;
// frame.mu and worker.mu are leaves. Purge and the TTL reaper hold
// Manager.mu while the checkpointer runs their request, which takes
// Session locks to build snapshots; the checkpointer never takes
// Manager.mu. A Client's own fields are touched only from the
// connection's handler goroutine.
package session
