package spool

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashChildEnv makes the test binary act as a spool writer that the test
// kills with SIGKILL.
const crashChildEnv = "BURNCLOUD_TEST_SPOOL_CRASH_DIR"

// crashSyncEnv is the child spool's SyncInterval.
const crashSyncEnv = "BURNCLOUD_TEST_SPOOL_CRASH_SYNC"

const (
	crashSegmentBytes = 32 << 10
	crashMaxBytes     = 1000 * crashSegmentBytes
)

// crashChild appends records continuously from one goroutine, and from
// another reads what is durable, acknowledges every id divisible by 3 and
// reports "ok N": ids up to N are durable and their acks written.
func crashChild(dir string) {
	sync, err := time.ParseDuration(os.Getenv(crashSyncEnv))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	s, err := Open(Options{Dir: dir, MaxSegmentBytes: crashSegmentBytes, MaxRecordBytes: 64, MaxBytes: crashMaxBytes, SyncInterval: sync})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	go func() {
		for i := 0; ; i++ {
			if i%64 == 0 {
				time.Sleep(100 * time.Microsecond) // leave the reporter some CPU
			}
			id, err := s.Append(payload(i))
			if err != nil {
				time.Sleep(time.Millisecond)
				i--
				continue
			}
			if id != uint64(i) {
				fmt.Println("error: id", id, "for record", i)
				os.Exit(2)
			}
		}
	}()
	r := s.NewReader()
	var recs []Record
	for {
		if err := s.Flush(context.Background()); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		recs, err = r.Read(recs[:0], 1<<20)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		var acks []uint64
		for _, rec := range recs {
			if rec.ID%3 == 0 {
				acks = append(acks, rec.ID)
			}
		}
		if err := s.Ack(acks...); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		if len(recs) > 0 {
			fmt.Println("ok", recs[len(recs)-1].ID)
		}
	}
}

func TestCrashKill9(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	// A killed process loses nothing written, whether or not it was
	// fsynced yet: the page cache outlives it.
	for _, sync := range []string{"0s", "100ms"} {
		t.Run("sync interval "+sync, func(t *testing.T) { crashKill9(t, sync) })
	}
}

func crashKill9(t *testing.T, sync string) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKill9$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashSyncEnv+"="+sync)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	var lastOK uint64
	for reports := 0; reports < 20 || lastOK < 20000; reports++ {
		if !sc.Scan() {
			t.Fatalf("child ended early: %v", sc.Err())
		}
		line := sc.Text()
		n, ok := strings.CutPrefix(line, "ok ")
		if !ok {
			t.Fatalf("child: %s", line)
		}
		if lastOK, err = strconv.ParseUint(n, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	s := openSpool(t, Options{Dir: dir, MaxSegmentBytes: crashSegmentBytes, MaxRecordBytes: 64, MaxBytes: crashMaxBytes})
	recs := readAll(t, s.NewReader())
	present := make(map[uint64]bool, len(recs))
	var maxID uint64
	for _, r := range recs {
		if string(r.Data) != string(payload(int(r.ID))) {
			t.Fatalf("record %d holds %q", r.ID, r.Data)
		}
		present[r.ID] = true
		maxID = max(maxID, r.ID)
	}
	for id := range lastOK + 1 {
		if want := id%3 != 0; present[id] != want {
			t.Fatalf("record %d present=%v after kill -9, want %v (last reported durable %d)", id, present[id], want, lastOK)
		}
	}
	for id := lastOK + 1; id <= maxID; id++ {
		if !present[id] && id%3 != 0 {
			t.Fatalf("gap at %d: records up to %d survived but not this one", id, maxID)
		}
	}
	t.Logf("killed after %d durable records; recovered %d unacked (%d beyond the last report)", lastOK+1, len(recs), maxID-lastOK)
	// Appends continue after the recovered ids.
	id, err := s.Append([]byte("after"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) > 0 && id <= maxID {
		t.Fatalf("new id %d not after recovered %d", id, maxID)
	}
}
