package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// A record on disk is a frame, integers little endian:
//
//	[0:4)    payload length n (uint32)
//	[4:8)    CRC-32C (Castagnoli) of bytes [0:4) followed by the payload
//	[8:8+n)  payload (one marshalled protobuf message)
//
// The checksum covers the length too, so a flipped length bit is caught
// instead of silently re-framing the rest of the segment.
const frameHeaderSize = 8

// castagnoli is a constant table; CRC-32C has hardware support on amd64
// and arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	// ErrTruncated: the bytes end inside a frame (a torn write).
	ErrTruncated = errors.New("spool: truncated record")
	// ErrCorrupt: a frame's length is out of bounds or its checksum is wrong.
	ErrCorrupt = errors.New("spool: corrupt record")
)

func frameChecksum(lenBytes []byte, payload []byte) uint32 {
	c := crc32.Update(0, castagnoli, lenBytes)
	return crc32.Update(c, castagnoli, payload)
}

// checksumUint32 is the CRC-32C of v's 4 little-endian bytes, computed
// without a byte slice that would escape to the heap on the request path.
func checksumUint32(v uint32) uint32 {
	crc := ^uint32(0)
	for i := range 4 {
		crc = castagnoli[byte(crc)^byte(v>>(8*i))] ^ crc>>8
	}
	return ^crc
}

// frameHeader returns the header of the frame carrying payload.
func frameHeader(payload []byte) [frameHeaderSize]byte {
	var h [frameHeaderSize]byte
	n := uint32(len(payload))
	binary.LittleEndian.PutUint32(h[0:4], n)
	binary.LittleEndian.PutUint32(h[4:8], crc32.Update(checksumUint32(n), castagnoli, payload))
	return h
}

// appendFrame appends the frame carrying payload to dst.
func appendFrame(dst, payload []byte) []byte {
	h := frameHeader(payload)
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// frameLen is the length of the well-formed frame at the start of b.
// Only for frames this process built.
func frameLen(b []byte) int {
	return frameHeaderSize + int(binary.LittleEndian.Uint32(b[0:4]))
}

// decodeFrame decodes the frame at the start of b. It returns the payload
// (aliasing b) and the number of bytes the frame takes. Payloads longer than
// maxPayload are corrupt by definition: the writer never produced them.
func decodeFrame(b []byte, maxPayload int) (payload []byte, n int, err error) {
	if len(b) < frameHeaderSize {
		return nil, 0, ErrTruncated
	}
	size := binary.LittleEndian.Uint32(b[0:4])
	if uint64(size) > uint64(maxPayload) {
		return nil, 0, fmt.Errorf("%w: length %d above limit %d", ErrCorrupt, size, maxPayload)
	}
	end := frameHeaderSize + int(size)
	if len(b) < end {
		return nil, 0, ErrTruncated
	}
	payload = b[frameHeaderSize:end]
	if want, got := binary.LittleEndian.Uint32(b[4:8]), frameChecksum(b[0:4], payload); want != got {
		return nil, 0, fmt.Errorf("%w: checksum %08x, computed %08x", ErrCorrupt, want, got)
	}
	return payload, end, nil
}
