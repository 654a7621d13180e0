package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/store"
)

// Every call on the admin socket is bounded: a server that is stopped
// (SIGSTOP) or wedged must not hang the CLI.
const (
	// adminDialTimeout bounds connecting to the socket.
	adminDialTimeout = time.Second
	// adminPingTimeout bounds the first request, which decides whether a
	// server answers at all.
	adminPingTimeout = 1500 * time.Millisecond
	// adminRequestTimeout bounds every later request; a purge waits for
	// the ended sessions to release their images.
	adminRequestTimeout = 30 * time.Second
)

// adminClient talks to a running server's admin socket. It implements
// sessionData.
type adminClient struct {
	sock string
	http *http.Client
}

// dialAdmin returns a client for the server answering on sock, or an
// error within adminPingTimeout.
func dialAdmin(ctx context.Context, sock string) (*adminClient, error) {
	if _, err := os.Stat(sock); err != nil {
		return nil, errors.New("no socket file")
	}
	dialer := &net.Dialer{Timeout: adminDialTimeout}
	c := &adminClient{sock: sock, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", sock)
		},
		ResponseHeaderTimeout: adminRequestTimeout,
	}}}
	ctx, cancel := context.WithTimeout(ctx, adminPingTimeout)
	defer cancel()
	var info adminInfo
	if err := c.call(ctx, http.MethodGet, "/v1/ping", nil, &info); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// close drops the connections kept for reuse.
func (c *adminClient) close() { c.http.CloseIdleConnections() }

func (c *adminClient) where() string { return "the server at " + c.sock }

func (c *adminClient) list(ctx context.Context) ([]sessionRow, error) {
	var rows []sessionRow
	err := c.call(ctx, http.MethodGet, "/v1/sessions", nil, &rows)
	return rows, err
}

func (c *adminClient) get(ctx context.Context, id uint32) (*store.Snapshot, bool, error) {
	var resp adminSnapshot
	if err := c.call(ctx, http.MethodGet, "/v1/sessions/"+strconv.FormatUint(uint64(id), 10), nil, &resp); err != nil {
		return nil, false, err
	}
	if resp.Snapshot == nil {
		return nil, resp.Live, nil
	}
	var snap store.Snapshot
	if err := proto.Unmarshal(resp.Snapshot, &snap); err != nil {
		return nil, resp.Live, fmt.Errorf("session %d: %w: %v", id, store.ErrCorrupt, err)
	}
	return &snap, resp.Live, nil
}

func (c *adminClient) purge(ctx context.Context, req purgeRequest) (purgeResult, error) {
	var res purgeResult
	err := c.call(ctx, http.MethodPost, "/v1/purge", req, &res)
	return res, err
}

// call sends in (if not nil) as JSON and decodes the answer into out.
func (c *adminClient) call(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, adminRequestTimeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://cartago"+path, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("admin socket %s: %w", c.sock, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e adminErrorBody
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
		return &adminError{Status: resp.StatusCode, Msg: e.Error}
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("admin socket %s: reading the answer: %w", c.sock, err)
	}
	return nil
}

// unwrapURLError drops net/http's `Get "http://cartago/...":` prefix,
// which names no real address.
func unwrapURLError(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}

// adminError is a refusal from the server; a 404 matches
// store.ErrNotFound.
type adminError struct {
	Status int
	Msg    string
}

func (e *adminError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("admin socket answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return e.Msg
}

func (e *adminError) Is(target error) bool {
	return target == store.ErrNotFound && e.Status == http.StatusNotFound
}

// isTimeout reports whether err is a timeout rather than a refusal.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
