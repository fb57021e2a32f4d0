package cwemu

import (
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The SDK decodes a CBOR timestamp as time.UnixMilli(int64(seconds * 1e3)) (smithy-go's
// rpcv2 CBOR shape deserializer); every millisecond must survive that truncation.
func TestEpochTimeSurvivesTheSDKsTruncation(t *testing.T) {
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for ms := range 200_000 {
		want := start.Add(time.Duration(ms) * time.Millisecond)
		b, err := epochTime(want).MarshalCBOR()
		if err != nil {
			t.Fatal(err)
		}
		var tag cbor.Tag
		if err := cbor.Unmarshal(b, &tag); err != nil || tag.Number != 1 {
			t.Fatalf("%v: not a tag 1 (%v)", want, err)
		}
		f, ok := tag.Content.(float64)
		if !ok {
			t.Fatalf("%v: tag content %T, want a double", want, tag.Content)
		}
		if got := time.UnixMilli(int64(f * 1e3)).UTC(); !got.Equal(want) {
			t.Fatalf("%v reads back as %v", want, got)
		}
	}
}
