#!/usr/bin/env bash
# A PostgreSQL server for the `nnfs sweep --storage postgresql://...` tests (issue 14).
# Installs Debian's `postgresql` package when it is missing (needs root), starts its cluster,
# creates the role (allowed to create databases: each test session makes a fresh one) and the
# database the tests connect to first, and prints its URL on stdout.
# Safe to run again and again; progress and errors go to stderr, and it exits non-zero
# when any step fails.
set -euo pipefail

ROLE=nnfs PASSWORD=nnfs DATABASE=nnfs_test

if ! command -v pg_lsclusters >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        echo "postgresql is not installed and installing it needs root" >&2
        exit 1
    fi
    echo "installing Debian's postgresql package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

# The package makes a cluster "main"; make one if there is none.
if [ -z "$(pg_lsclusters --no-header)" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    pg_createcluster "$version" main >&2
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
if [ "$status" != online ]; then
    echo "starting PostgreSQL $version/$cluster on port $port" >&2
    pg_ctlcluster "$version" "$cluster" start >&2
fi

as_postgres() { (cd / && runuser -u postgres -- "$@"); }
query() { as_postgres psql --port "$port" -v ON_ERROR_STOP=1 -tAc "$1"; }
if [ "$(query "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
    query "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'" >&2
fi
query "ALTER ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'" >&2
if [ "$(query "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
    as_postgres createdb --port "$port" --owner "$ROLE" "$DATABASE" >&2
fi
pg_isready --host 127.0.0.1 --port "$port" >&2
echo "postgresql://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE"
