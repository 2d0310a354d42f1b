# warroom: `warroom serve` from a virtual environment installed from the lock files, as uid
# 10001 in group 0, keeping SQLite in the /data volume. scripts/build-image builds it without
# a Docker daemon and smoke-tests it; `docker build .` works the same. Build with the docker
# format (buildah/podman: --format docker): the OCI format has no HEALTHCHECK and drops it.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
# A builder behind a TLS-inspecting proxy gives its CA bundle (mounted, never copied): only
# this stage's pip sees it.
ARG BUILD_CA_BUNDLE=""
# The dependencies, pinned with their hashes, before the sources: a change of the code reuses
# these layers instead of downloading every dependency again.
COPY requirements-build.lock requirements.lock /tmp/lock/
RUN python -m venv /opt/build \
 && /opt/build/bin/pip install ${BUILD_CA_BUNDLE:+--cert "$BUILD_CA_BUNDLE"} \
      --require-hashes -r /tmp/lock/requirements-build.lock \
 && python -m venv /opt/warroom \
 && /opt/warroom/bin/pip install ${BUILD_CA_BUNDLE:+--cert "$BUILD_CA_BUNDLE"} \
      --require-hashes --no-deps -r /tmp/lock/requirements.lock
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY commands/ commands/
COPY templates/ templates/
# The wheel, built by the pinned backend without reaching the index, installed alone.
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /tmp/wheel . \
 && /opt/warroom/bin/pip install --no-deps /tmp/wheel/*.whl

FROM ${PYTHON_IMAGE}
ARG VERSION=unknown
ARG REVISION=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="warroom" \
      org.opencontainers.image.description="Slack ChatOps for incident response: war rooms, the record, postmortem drafts" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT"
ENV PATH=/opt/warroom/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/data \
    PORT=3000 \
    DATABASE_URL=sqlite:////data/warroom.db
# One environment, copied whole: no wheel files left in a layer below.
COPY --from=build /opt/warroom /opt/warroom
# The commit `warroom --version` and warroom_build_info name (bot/basics/version.py).
RUN echo "${REVISION}" > /opt/warroom/warroom-commit
# /data belongs to uid 10001 and to group 0, group-writable: OpenShift runs an image as an
# arbitrary uid in group 0, and a bind mount can be given to group 0 (chgrp 0, chmod g+rwx).
RUN useradd --uid 10001 --gid 0 --home-dir /data --no-create-home --shell /usr/sbin/nologin warroom \
 && mkdir /data \
 && chown 10001:0 /data \
 && chmod 0775 /data
USER 10001:0
WORKDIR /data
VOLUME /data
EXPOSE 3000
# Liveness: /livez answers while the process does, with no I/O. An orchestrator that restarts
# or replaces unhealthy containers (Swarm, autoheal) must not do so during a database or Slack
# outage: a restart brings neither back, and pages by phone go on without Slack. Readiness
# (/readyz: the database, the queues; Slack's state said, not judged) is the load balancer's.
HEALTHCHECK --interval=30s --timeout=6s --start-period=30s \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('PORT', '3000'), timeout=5)"]
CMD ["warroom", "serve"]
