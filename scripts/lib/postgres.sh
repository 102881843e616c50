# Throw-away PostgreSQL for tests: sourced by scripts/test.
#   pg_up DIR  -> starts a server on a free loopback port; exports WARDEN_TEST_POSTGRES_URL
#   pg_down    -> stops it
# PostgreSQL refuses to run as root, so the server runs as the `postgres` user (created if missing).

pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_up() {
  local dir="$1"
  if ! command -v initdb >/dev/null || ! command -v pg_ctl >/dev/null; then
    local bin; bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [ -z "$bin" ]; then
      echo "installing PostgreSQL (apt-get install postgresql)"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null
      bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    export PATH="$bin:$PATH"
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --no-create-home postgres; fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  PG_DATA="$dir/data"
  PG_PORT=$(pg_free_port)
  pg_as initdb -D "$PG_DATA" -U warden --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
  pg_as pg_ctl -D "$PG_DATA" -l "$dir/server.log" -w -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
    || { cat "$dir/server.log"; return 1; }
  export PG_DATA PG_PORT
  export WARDEN_TEST_POSTGRES_URL="postgres://warden@127.0.0.1:$PG_PORT/postgres"
}

pg_down() {
  [ -n "${PG_DATA:-}" ] && pg_as pg_ctl -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
}
