# Build: Swift with libpq-dev. Runtime: Debian with libpq5 only (the Swift runtime is linked in).
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY Migrations ./Migrations
RUN swift build -c release --product nianjian --static-swift-stdlib

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /app nianjian
WORKDIR /app
COPY --from=build /src/.build/release/nianjian /usr/local/bin/nianjian
COPY Jobs ./Jobs
USER nianjian
ENTRYPOINT ["nianjian"]
CMD ["run", "--job", "/app/Jobs/nightly.yml"]
