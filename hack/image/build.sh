#!/usr/bin/env bash
# Builds Flotilla's agents as static binaries for the container image:
#   hack/image/build.sh OUT_DIR [VERSION]
# The Dockerfile runs it, and test/image checks that what it builds is static,
# so both always agree on the flags.
set -euo pipefail

out="${1:?usage: build.sh OUT_DIR [VERSION]}"
version="${2:-dev}"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

export CGO_ENABLED=0
for agent in hubagent memberagent; do
  go build -trimpath \
    -ldflags "-s -w -X github.com/flotilla-dev/flotilla/pkg/version.Version=${version}" \
    -o "${out}/${agent}" "./cmd/${agent}"
done
