package reliability

import (
	"encoding/json"
	"os"
	"slices"
	"sync"
	"time"
)

// report holds the figures the specs measured; --report writes it as JSON
// (docs/reliability.md quotes it).
type report struct {
	mu                  sync.Mutex
	Chaos               *chaosFigures      `json:"chaos,omitempty"`
	HA                  *takeoverFigures   `json:"ha,omitempty"`
	HubAPIServerRestart *restartFigures    `json:"hubAPIServerRestart,omitempty"`
	MemberAPIServerDown *memberDownFigures `json:"memberAPIServerDown,omitempty"`
	MemberAgentMidApply *midApplyFigures   `json:"memberAgentMidApply,omitempty"`
}

// outcome is what every fault spec checks.
type outcome struct {
	Runs          int `json:"runs"`
	RunsSucceeded int `json:"runsSucceeded"`
	// BindingsMovedOnce counts the bindings moved to their run's snapshot by
	// one spec write; DuplicateOrMissingMoves the others (must be 0).
	BindingsMovedOnce       int `json:"bindingsMovedOnce"`
	DuplicateOrMissingMoves int `json:"duplicateOrMissingMoves"`
	ApprovalRequests        int `json:"approvalRequests"`
	ApprovalsRequestedTwice int `json:"approvalsRequestedTwice"`
	ApprovalsGiven          int `json:"approvalsGiven"`
	ApprovalsLost           int `json:"approvalsLost"`
	TimedWaits              int `json:"timedWaits"`
	TimedWaitsRestarted     int `json:"timedWaitsRestarted"`
	MemberObjectsDeleted    int `json:"memberObjectsDeleted"`
	// AuditRelists counts the lists the audit made after an API server lost
	// the watch's resourceVersion; it then compares UIDs and generations.
	AuditRelists int `json:"auditRelists"`
	// WallSeconds is how long the spec's runs took, from creation to the last
	// one's success.
	WallSeconds float64 `json:"wallSeconds"`
}

type chaosFigures struct {
	outcome
	HubAgentKills    int `json:"hubAgentKills"`
	MemberAgentKills int `json:"memberAgentKills"`
	// TakeoverSeconds are, for each kill of the leader, the time until a
	// hub agent led again.
	TakeoverSeconds durations `json:"takeoverSeconds"`
	Seed            uint64    `json:"seed"`
}

type takeoverFigures struct {
	outcome
	// TakeoverSeconds is the time from the leader's death to the standby
	// leading; LeaseDurationSeconds bounds it (plus a retry period).
	TakeoverSeconds      float64 `json:"takeoverSeconds"`
	LeaseDurationSeconds float64 `json:"leaseDurationSeconds"`
}

type restartFigures struct {
	outcome
	// DownSeconds is how long the API server took to stop and serve again.
	DownSeconds float64 `json:"downSeconds"`
}

type memberDownFigures struct {
	outcome
	// DownSeconds is how long the member's API server was down;
	// StuckReportedAfterSeconds when the run reported the cluster stuck, from
	// the stop; CompletedAfterRestoreSeconds when the run succeeded, from the
	// restart.
	DownSeconds                  float64 `json:"downSeconds"`
	StuckReportedAfterSeconds    float64 `json:"stuckReportedAfterSeconds"`
	CompletedAfterRestoreSeconds float64 `json:"completedAfterRestoreSeconds"`
	StuckMessage                 string  `json:"stuckMessage"`
	// OtherRunSeconds is how long the run not touching the member took.
	OtherRunSeconds float64 `json:"otherRunSeconds"`
}

type midApplyFigures struct {
	outcome
	// Objects is how many objects the Work holds; AppliedAtKill how many
	// were on the member when its agent was killed.
	Objects       int `json:"objects"`
	AppliedAtKill int `json:"appliedAtKill"`
}

// durations are seconds, with their summary in JSON.
type durations []float64

func (d durations) MarshalJSON() ([]byte, error) {
	if len(d) == 0 {
		return []byte("null"), nil
	}
	s := slices.Sorted(slices.Values(d))
	return json.Marshal(map[string]any{
		"all": []float64(d), "min": s[0], "median": s[len(s)/2], "max": s[len(s)-1],
	})
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(10*time.Millisecond)) / float64(time.Second)
}

// set records figures under the lock.
func (r *report) set(f func(r *report)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

func (r *report) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	data, _ := json.Marshal(r)
	return string(data)
}

func (r *report) write(path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
