# syntax=docker/dockerfile:1
# Flotilla's agents as static binaries on a distroless, non-root base, one
# image per agent:
#   docker build --target hub-agent    --build-arg VERSION=v0.1.0 -t flotilla/hub-agent:v0.1.0 .
#   docker build --target member-agent --build-arg VERSION=v0.1.0 -t flotilla/member-agent:v0.1.0 .
# hack/image/build.sh builds the binaries (CGO_ENABLED=0, version stamped);
# test/image checks that what it builds is static.
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY apis/ apis/
COPY cmd/ cmd/
COPY pkg/ pkg/
COPY hack/image/ hack/image/
ARG VERSION=dev
RUN ./hack/image/build.sh /out "${VERSION}"

FROM gcr.io/distroless/static:nonroot AS member-agent
COPY --from=build /out/memberagent /memberagent
USER 65532:65532
ENTRYPOINT ["/memberagent"]

# The last stage is the default target.
FROM gcr.io/distroless/static:nonroot AS hub-agent
COPY --from=build /out/hubagent /hubagent
USER 65532:65532
ENTRYPOINT ["/hubagent"]
