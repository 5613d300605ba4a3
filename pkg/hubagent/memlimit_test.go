package hubagent

import "testing"

func TestSoftMemoryLimit(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    int64
		wantOK  bool
		wantErr bool
	}{
		{name: "no limit", env: map[string]string{}},
		{name: "a 300 MiB limit", env: map[string]string{MemoryLimitEnv: "314572800"}, want: 283115520, wantOK: true},
		{name: "GOMEMLIMIT wins", env: map[string]string{MemoryLimitEnv: "314572800", "GOMEMLIMIT": "200MiB"}},
		{name: "not bytes", env: map[string]string{MemoryLimitEnv: "300Mi"}, wantErr: true},
		{name: "zero", env: map[string]string{MemoryLimitEnv: "0"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := SoftMemoryLimit(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr || ok != tt.wantOK || got != tt.want {
				t.Errorf("SoftMemoryLimit() = %d, %v, %v; want %d, %v, error %v", got, ok, err, tt.want, tt.wantOK, tt.wantErr)
			}
		})
	}
}
