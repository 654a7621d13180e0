// Package benchclient is what the side-by-side scripts share: a protocol
// client over ws/wstest that ends the run on any error, and a median.
package benchclient

import (
	"context"
	"log"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/ws/wstest"
)

// Client speaks the protocol through ws/wstest, failing the run on any
// error; reads wait at most five minutes.
type Client struct{ *wstest.Client }

// Dial connects to url and registers a new session.
func Dial(url string) Client {
	c, _, err := wstest.Dial(context.Background(), url, wstest.Options{})
	Check(err)
	_, err = c.Register(context.Background(), 0)
	Check(err)
	return Client{c}
}

// MustSend sends m as event et under the next request id.
func (c Client) MustSend(et icd.EventType, m proto.Message) {
	Check(c.Send(et, c.NextID(), m))
}

// Await skips to the next message of event et (each sees every message
// read on the way; nil for none) and decodes it into m.
func (c Client) Await(et icd.EventType, m proto.Message, each func(wstest.Message)) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	msg, err := c.Skip(ctx, et, nil, each)
	Check(err)
	Check(msg.Decode(m))
}

// Check ends the run on an error.
func Check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// Median is the middle of d (the upper one of an even count).
func Median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// OpenImage opens file (first HDU) under file id 0 and waits for its
// histogram, the last message of an open, so timings start clean.
func (c Client) OpenImage(file string) {
	c.MustSend(icd.EventType_OPEN_FILE, &icd.OpenFile{File: file, FileId: 0, Hdu: "0"})
	var ack icd.OpenFileAck
	c.Await(icd.EventType_OPEN_FILE_ACK, &ack, nil)
	if !ack.Success {
		log.Fatalf("open %s: %s", file, ack.Message)
	}
	c.Await(icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{}, nil)
}
