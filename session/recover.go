package session

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"cartago/icd"
)

// recovered turns a panic in background image work into a log entry with
// the stack and an ERROR_DATA, so one bad request cannot take the server
// down: it is the background counterpart of Client.dispatch's recover.
// Use as `defer f.recovered(ctx, "what")`.
func (f *frame) recovered(ctx context.Context, what string) {
	p := recover()
	if p == nil {
		return
	}
	f.log.Error("image work panic", "work", what, "panic", p, "stack", string(debug.Stack()))
	f.sess.send(context.WithoutCancel(ctx), icd.EventType_ERROR_DATA, &icd.ErrorData{
		Severity: icd.ErrorSeverity_ERROR, Tags: []string{"cartago", "image"},
		Message: fmt.Sprintf("internal error in %s of file %d", what, f.id),
	})
}

// reportError sends a stream ERROR_DATA about this frame's background
// work for feature tag, by the rule in errors.go.
func (f *frame) reportError(ctx context.Context, tag string, err error) {
	if ctx.Err() != nil {
		return // cancelled work is not an error
	}
	f.log.Warn("image work failed", "feature", tag, "err", err)
	f.sess.send(ctx, icd.EventType_ERROR_DATA, errorData(icd.EventType_EMPTY_EVENT, tag, err, f.folder.Redact))
}

// logRecovered logs a panic of a goroutine that has no client to tell.
func logRecovered(log *slog.Logger, what string) {
	if p := recover(); p != nil {
		log.Error("panic", "work", what, "panic", p, "stack", string(debug.Stack()))
	}
}
