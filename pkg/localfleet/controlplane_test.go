package localfleet

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummarizeReadyz(t *testing.T) {
	cases := map[string]struct {
		err  error
		want string
	}{
		"failed checks are named": {
			err:  errors.New(`an error on the server ("[+]ping ok\n[-]poststarthook/rbac/bootstrap-roles failed: reason withheld\n[-]etcd failed: reason withheld\nreadyz check failed") has prevented the request from succeeding`),
			want: "not ready: poststarthook/rbac/bootstrap-roles, etcd",
		},
		"other errors are kept": {
			err:  errors.New("dial tcp 127.0.0.1:6443: connect: connection refused"),
			want: "dial tcp 127.0.0.1:6443: connect: connection refused",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, summarizeReadyz(tc.err).Error()); diff != "" {
				t.Errorf("summarizeReadyz (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestWaitFor(t *testing.T) {
	notYet := func(context.Context) error { return errors.New("not yet") }
	t.Run("a check that passes ends the wait", func(t *testing.T) {
		calls := 0
		err := waitFor(context.Background(), "x", nil, func(context.Context) error {
			if calls++; calls < 3 {
				return errors.New("not yet")
			}
			return nil
		})
		if err != nil || calls != 3 {
			t.Errorf("waitFor = %v after %d checks, want nil after 3", err, calls)
		}
	})
	t.Run("a timeout names what was awaited and the last check", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err := waitFor(ctx, "member1 node to be Ready", nil, notYet)
		if err == nil || !errors.Is(err, context.DeadlineExceeded) ||
			!strings.Contains(err.Error(), "member1 node to be Ready") || !strings.Contains(err.Error(), "not yet") {
			t.Errorf("waitFor = %v, want a deadline error naming the wait and the last check", err)
		}
	})
	t.Run("another part's failure is reported as is", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		hubFailed := errors.New("hub: etcd exited")
		cancel(hubFailed)
		if err := waitFor(ctx, "x", nil, notYet); !errors.Is(err, hubFailed) || err.Error() != hubFailed.Error() {
			t.Errorf("waitFor = %v, want %v", err, hubFailed)
		}
	})
	t.Run("the awaited process exiting ends the wait", func(t *testing.T) {
		s := &spawner{dir: t.TempDir()}
		p, err := s.spawn("m", "m-etcd", tierEtcd, "/bin/sh", []string{"-c", "exit 1"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err = waitFor(ctx, "m etcd", p, notYet)
		want := "m-etcd exited (exit status 1); see " + filepath.Join(s.dir, "logs", "m-etcd.log")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("waitFor = %v, want it to contain %q", err, want)
		}
	})
}
