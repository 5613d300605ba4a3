// Package version holds the build version of Flotilla's binaries, stamped at
// link time with -ldflags "-X github.com/flotilla-dev/flotilla/pkg/version.Version=...".
package version

// Version is the version of this build; "dev" when not stamped.
var Version = "dev"
