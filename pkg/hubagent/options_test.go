package hubagent

import (
	"flag"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

func TestOptionsValidateAndApply(t *testing.T) {
	tests := map[string]struct {
		args      []string
		wantErr   string
		wantQPS   float32
		wantBurst int
	}{
		"no client-side limit by default":  {wantQPS: -1},
		"explicit limits":                  {args: []string{"--hub-api-qps=50", "--hub-api-burst=100"}, wantQPS: 50, wantBurst: 100},
		"a zero QPS turns the limit off":   {args: []string{"--hub-api-qps=0"}, wantQPS: -1},
		"a negative QPS turns it off":      {args: []string{"--hub-api-qps=-3", "--hub-api-burst=0"}, wantQPS: -1},
		"no burst with a limit":            {args: []string{"--hub-api-qps=100", "--hub-api-burst=0"}, wantErr: "--hub-api-burst must be at least 1"},
		"no concurrent reconciles":         {args: []string{"--max-concurrent-reconciles=0"}, wantErr: "--max-concurrent-reconciles must be at least 1"},
		"several concurrent reconciles ok": {args: []string{"--max-concurrent-reconciles=8"}, wantQPS: -1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			opts := NewOptions()
			fs := flag.NewFlagSet("hubagent", flag.ContinueOnError)
			opts.AddFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			err := opts.Validate()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Validate() = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			cfg := &rest.Config{}
			opts.ApplyTo(cfg)
			if cfg.QPS != tc.wantQPS || (tc.wantQPS > 0 && cfg.Burst != tc.wantBurst) {
				t.Errorf("QPS, Burst = %v, %d, want %v, %d", cfg.QPS, cfg.Burst, tc.wantQPS, tc.wantBurst)
			}
		})
	}
}
