package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/burncloud/burncloud/pkg/store/storetest"
)

// The test binary doubles as burncloud-control when this is set.
const asBinary = "BURNCLOUD_TEST_RUN_CONTROL_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asBinary) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func run(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append([]string{asBinary + "=1", "PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestBadConfigListsEveryProblem(t *testing.T) {
	code, out := run(t, []string{
		"BURNCLOUD_SECRET=short",
		"BURNCLOUD_CONTROL_ADDR=nowhere",
		"BURNCLOUD_CONTROL_HEARTBEAT=-1s",
	})
	if code != 2 {
		t.Errorf("exit code %d, want 2\n%s", code, out)
	}
	for _, want := range []string{"BURNCLOUD_DATABASE_URL", "BURNCLOUD_INTERNAL_TOKEN", "BURNCLOUD_SECRET", "BURNCLOUD_CONTROL_ADDR", "BURNCLOUD_CONTROL_HEARTBEAT"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not name %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "short") {
		t.Errorf("output shows the secret:\n%s", out)
	}
}

func TestMigrateNeedsDatabase(t *testing.T) {
	code, out := run(t, nil, "migrate")
	if code != 2 || !strings.Contains(out, "BURNCLOUD_DATABASE_URL") {
		t.Errorf("migrate without a database: exit %d\n%s", code, out)
	}
}

func TestMigrateRuns(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	for range 2 { // idempotent
		if code, out := run(t, []string{"BURNCLOUD_DATABASE_URL=" + dsn}, "migrate"); code != 0 {
			t.Fatalf("migrate: exit %d\n%s", code, out)
		}
	}
}
