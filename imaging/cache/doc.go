// Package cache holds the image data of the whole server, below the
// sessions: open FITS files by file identity, and values computed from
// them (decoded planes, histograms, statistics) by file, HDU, channel,
// Stokes and what was computed. N sessions showing one image share one
// mapping and one decoded plane.
//
// Entries are reference-counted while in use and never evicted then;
// unused ones stay, least recently used first out, while the cache holds
// at most its byte size. Every byte is charged to the server's
// budget.Memory, and a charge the budget refuses first evicts unused
// entries. Concurrent requests for one entry load it once: the others
// wait for that load (single-flight).
package cache
