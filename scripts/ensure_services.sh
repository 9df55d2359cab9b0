#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer at DATABASE_URL / REDIS_URL (default 127.0.0.1:5432
# and :6379) before the tests run: starts local servers when they are installed but stopped,
# otherwise says how to start them.
set -euo pipefail

db_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/fleetops}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/15}

host_port() {  # scheme://[user[:pass]@]host[:port][/...] -> "host port"
  local rest=${1#*://}; rest=${rest%%/*}; rest=${rest##*@}
  local host=${rest%%:*} port=${rest##*:}
  [[ "$port" == "$rest" ]] && port=$2
  echo "$host $port"
}

reachable() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

wait_for() {  # name host port
  for _ in $(seq 1 30); do reachable "$2" "$3" && return 0; sleep 1; done
  return 1
}

local_host() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" ]]; }

read -r pg_host pg_port < <(host_port "$db_url" 5432)
read -r redis_host redis_port < <(host_port "$redis_url" 6379)

if ! reachable "$pg_host" "$pg_port"; then
  if local_host "$pg_host" && command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "Starting local PostgreSQL..."
    for version in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
  if ! wait_for PostgreSQL "$pg_host" "$pg_port"; then
    echo "PostgreSQL is not reachable at $pg_host:$pg_port." >&2
    echo "Start it with: docker compose up -d db redis" >&2
    echo "  and export DATABASE_URL=postgres://fleetops:fleetops@127.0.0.1:5432/fleetops" >&2
    exit 1
  fi
fi

if ! reachable "$redis_host" "$redis_port"; then
  if local_host "$redis_host" && command -v redis-server >/dev/null 2>&1; then
    echo "Starting local Redis..."
    mkdir -p /tmp/fleetops-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" \
      --appendonly no --dir /tmp/fleetops-redis --logfile /tmp/fleetops-redis/redis.log
  fi
  if ! wait_for Redis "$redis_host" "$redis_port"; then
    echo "Redis is not reachable at $redis_host:$redis_port." >&2
    echo "Start it with: docker compose up -d db redis   (or set REDIS_URL)" >&2
    exit 1
  fi
fi
echo "PostgreSQL ($pg_host:$pg_port) and Redis ($redis_host:$redis_port) are up."
