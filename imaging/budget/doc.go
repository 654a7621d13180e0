// Package budget holds the server-wide limits that keep one process
// bounded under any input: Memory, a byte budget that every large
// allocation (image planes, caches, inflated messages, queued output) is
// charged to before it is made, so a request that would exceed it fails
// with a clear error instead of growing the process; and Compute, a
// limit on the goroutines computing at once, shared by all sessions, that
// serves interactive work before bulk work.
//
// A nil *Memory is unlimited, which keeps tests and tools that need no
// limit free of set-up.
package budget
