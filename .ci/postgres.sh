# A throwaway PostgreSQL cluster for the test suite. Source it from bash, then call
#
#     pg_start    # installs Debian's postgresql when missing, starts a cluster on a free
#                 # 127.0.0.1 port, exports RURALACTION_TEST_PG_URL, stops it on EXIT
#
# The cluster lives in a fresh folder under /tmp, runs as the `postgres` user when we are root
# (PostgreSQL refuses to run as root) and as ourselves otherwise, listens on 127.0.0.1 only and
# needs a password that is random per run and never printed. fsync is off: it is thrown away.

pg_start() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [[ -z "$bin" || ! -x "$bin/pg_ctl" ]]; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    PG_BIN=$bin
    PG_AS=()
    if [[ $EUID -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
        PG_AS=(runuser -u postgres --)
    fi
    PG_DIR=$(mktemp -d /tmp/ruralaction-pg.XXXXXX)
    PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    local password
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    (umask 077; printf '%s\n' "$password" > "$PG_DIR/pwfile")
    [[ $EUID -eq 0 ]] && chown -R postgres: "$PG_DIR"
    trap pg_stop EXIT

    "${PG_AS[@]}" "$PG_BIN/initdb" --pgdata="$PG_DIR/data" --username=ruralaction --pwfile="$PG_DIR/pwfile" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    rm -f "$PG_DIR/pwfile"
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" --pgdata="$PG_DIR/data" --log="$PG_DIR/server.log" --wait --silent \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start || { cat "$PG_DIR/server.log" >&2; return 1; }
    PGPASSWORD=$password "$PG_BIN/createdb" --host=127.0.0.1 --port="$PG_PORT" --username=ruralaction ruralaction_test
    export RURALACTION_TEST_PG_URL="postgresql+psycopg://ruralaction:${password}@127.0.0.1:${PG_PORT}/ruralaction_test"
    echo "ci: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') running on 127.0.0.1:$PG_PORT for the tests"
}

pg_stop() {
    local status=$?
    if [[ -n "${PG_DIR:-}" && -d "$PG_DIR/data" ]]; then
        "${PG_AS[@]}" "$PG_BIN/pg_ctl" --pgdata="$PG_DIR/data" --mode=immediate --wait --silent stop || true
    fi
    [[ -n "${PG_DIR:-}" ]] && rm -rf "$PG_DIR"
    PG_DIR=
    return "$status"
}
