#!/usr/bin/env bash
# Create a PostgreSQL database if it does not exist yet.
#
#   scripts/create_db.sh DBNAME          # as postgres on 127.0.0.1:5432 (PGHOST/PGPORT/PGUSER override)
#   scripts/create_db.sh DATABASE_URL    # e.g. postgresql+psycopg://postgres@127.0.0.1:5432/sosoft_test
#
# Idempotent. The PostGIS extension itself is created by the migrations; this
# script only checks that PostGIS is available and that the role may create it
# (CREATE EXTENSION postgis needs a superuser: the local `postgres` role is one).
set -euo pipefail

log() { printf 'create_db: %s\n' "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

[[ $# == 1 && -n $1 ]] || die "usage: $0 DBNAME|DATABASE_URL"

urldecode() {
    local s=${1//+/ }
    printf '%b' "${s//%/\\x}"
}

if [[ $1 == *://* ]]; then
    rest=${1#*://}
    authority=${rest%%[/?#]*}
    path=${rest#"$authority"}
    path=${path%%[?#]*}
    dbname=$(urldecode "${path#/}")
    userinfo=""
    if [[ $authority == *@* ]]; then userinfo=${authority%@*}; fi
    hostport=${authority##*@}
    if [[ $hostport == \[* ]]; then
        host=${hostport#\[}
        host=${host%%\]*}
        port=""
        if [[ $hostport == *\]:* ]]; then port=${hostport##*\]:}; fi
    else
        host=${hostport%%:*}
        port=""
        if [[ $hostport == *:* ]]; then port=${hostport##*:}; fi
    fi
    user=$(urldecode "${userinfo%%:*}")
    if [[ $userinfo == *:* ]]; then
        PGPASSWORD=$(urldecode "${userinfo#*:}")
        export PGPASSWORD
    fi
    host=${host:-127.0.0.1}
    port=${port:-5432}
    user=${user:-postgres}
else
    dbname=$1
    host=${PGHOST:-127.0.0.1}
    port=${PGPORT:-5432}
    user=${PGUSER:-postgres}
fi

[[ $dbname =~ ^[A-Za-z_][A-Za-z0-9_-]{0,62}$ ]] || die "not a database name: '$dbname'"

# -X: ignore ~/.psqlrc; -w: never prompt for a password.
# pg_in DB ARGS...: run psql in database DB; pg ARGS...: in the maintenance database.
pg_in() {
    local db=$1
    shift
    psql -X -w -q -At -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$user" -d "$db" "$@"
}
pg() { pg_in postgres "$@"; }

if ! err=$(pg -c 'SELECT 1' 2>&1 >/dev/null); then
    die "cannot connect to PostgreSQL at $host:$port as '$user': $err
    Start it with: bash scripts/ensure_services.sh
    Local development expects password-less loopback access for '$user' (pg_hba.conf:
    'host all all 127.0.0.1/32 trust'), or put the password in the URL."
fi

# psql expands :'db' (a quoted literal) only in input it reads, not in -c.
exists=$(pg -v db="$dbname" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
if [[ $exists == 1 ]]; then
    log "database $dbname already exists on $host:$port"
else
    if err=$(pg -v db="$dbname" 2>&1 <<<'CREATE DATABASE :"db";'); then
        log "created database $dbname on $host:$port"
    elif [[ $(pg -v db="$dbname" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';") == 1 ]]; then
        log "database $dbname already exists on $host:$port (created concurrently)"
    else
        die "could not create database $dbname: $err"
    fi
fi

# The migrations run CREATE EXTENSION postgis: say now, clearly, if they can't.
available=$(pg <<<"SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis';")
if [[ $available != 1 ]]; then
    die "PostGIS is not installed on the PostgreSQL server at $host:$port.
    On Debian/Ubuntu: apt-get install postgresql-<major>-postgis-3 (bash scripts/ensure_services.sh does this)"
fi
can_create=$(pg_in "$dbname" <<<"SELECT rolsuper
    OR EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')
    FROM pg_roles WHERE rolname = current_user;")
if [[ $can_create != t ]]; then
    log "WARNING: role '$user' is not a superuser; CREATE EXTENSION postgis in the migrations may fail."
    log "         As a superuser, run once: psql -d $dbname -c 'CREATE EXTENSION IF NOT EXISTS postgis'"
fi
