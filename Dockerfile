# teletrack's container image, for running beside docker-jitsi-meet (see
# docker-compose.yml and the README, "Deploying beside Jitsi").
#
#   docker build -t teletrack .
#
# Two stages on Debian 12: the build stage installs the [build] packages
# of conf/debian-packages and compiles; the runtime stage gets only the
# [runtime] ones (the shared libraries and the CA bundle), the binary and
# the Prosody module, and runs as the unprivileged user "teletrack" with
# the database on a volume.  DEBIAN_IMAGE may name another Debian 12 base
# (the tests use one made by debootstrap, with no registry at hand).
ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
WORKDIR /src
# The package layer is rebuilt only when the list changes.
COPY conf/debian-packages conf/
COPY tests/install-deps.sh tests/
RUN sh tests/install-deps.sh build
COPY . .
RUN make clean && make -j"$(nproc)" teletrack && \
    make install DESTDIR=/out PREFIX=/usr

FROM ${DEBIAN_IMAGE}
COPY conf/debian-packages /tmp/deps/conf/
COPY tests/install-deps.sh /tmp/deps/tests/
RUN sh /tmp/deps/tests/install-deps.sh runtime && \
    rm -rf /tmp/deps /var/lib/apt/lists/* && \
    groupadd --system --gid 999 teletrack && \
    useradd --system --uid 999 --gid teletrack --no-create-home \
        --home-dir /var/lib/teletrack --shell /usr/sbin/nologin teletrack && \
    install -d -o teletrack -g teletrack -m 0750 /var/lib/teletrack && \
    install -d -m 0755 /etc/teletrack
COPY --from=build /out/usr/bin/teletrack /usr/bin/teletrack
COPY --from=build /out/usr/share/teletrack /usr/share/teletrack
COPY conf/docker/entrypoint.sh /usr/bin/teletrack-entrypoint

# report, schedule and status find the database and the status file by
# themselves: `docker compose exec teletrack teletrack report sessions`.
ENV TELETRACK_DB=/var/lib/teletrack/teletrack.db \
    TELETRACK_STATUS=/var/lib/teletrack/teletrack.status
USER teletrack
VOLUME /var/lib/teletrack
# Healthy: the daemon rewrote its status file in the last 10 s, is
# connected to Prosody, and its writer is neither dropping nor stuck.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["teletrack", "status", "-q"]
ENTRYPOINT ["teletrack-entrypoint"]
CMD ["run"]
