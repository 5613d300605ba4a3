# syntax=docker/dockerfile:1
# Builds Flotilla's agents as static binaries on a distroless, non-root base.
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY apis/ apis/
COPY cmd/ cmd/
COPY pkg/ pkg/
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/flotilla-dev/flotilla/pkg/version.Version=${VERSION}" \
      -o /out/hubagent ./cmd/hubagent

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/hubagent /hubagent
USER 65532:65532
ENTRYPOINT ["/hubagent"]
