# A minimal dbgen image: one statically linked binary on an empty base.
#
#   docker build -t dbgen .
#   docker run --rm -v "$PWD:/work" -w /work dbgen render --check
#
# The image has no shell and no user database; `--user "$(id -u):$(id -g)"` makes the files it
# writes yours. It needs nothing at run time: schemas and templates are compiled in.
FROM rust:1-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl \
    && apt-get update \
    && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl \
    && cp target/x86_64-unknown-linux-musl/release/dbgen /dbgen

FROM scratch
COPY --from=build /dbgen /dbgen
COPY LICENSE /LICENSE
WORKDIR /work
ENTRYPOINT ["/dbgen"]
