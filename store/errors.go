package store

import "errors"

// Errors returned by Open.
var (
	// ErrLocked means another process holds the database file.
	ErrLocked = errors.New("database is in use by another process")
	// ErrCorrupt means the file is not a readable bbolt database.
	ErrCorrupt = errors.New("database file is corrupt or not a cartago database")
	// ErrSchemaNewer means a newer cartago wrote the database.
	ErrSchemaNewer = errors.New("database schema is newer than this cartago")
)

// Error carries a hint for the operator along with the cause.
type Error struct {
	Path string
	Err  error
	Hint string
}

func (e *Error) Error() string {
	msg := e.Path + ": " + e.Err.Error()
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }
