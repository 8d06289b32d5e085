#!/usr/bin/env bash
# Makes sure the local Postgres (127.0.0.1:5432, trust auth) and Redis
# (127.0.0.1:6379) that the test suites use are up, starting them with the
# machine's own commands if they are not. Safe to run repeatedly.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; }

if pg_up; then echo "postgres: up"; else
  echo "postgres: down, starting"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 30); do pg_up && break; sleep 1; done
  pg_up && echo "postgres: up" || { echo "postgres: could not start"; exit 1; }
fi

if redis_up; then echo "redis: up"; else
  echo "redis: down, starting"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 30); do redis_up && break; sleep 1; done
  redis_up && echo "redis: up" || { echo "redis: could not start"; exit 1; }
fi
