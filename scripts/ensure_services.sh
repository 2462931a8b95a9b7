#!/usr/bin/env bash
# Make sure the services SoSoft needs are installed and answering:
#   PostgreSQL (with PostGIS) at DATABASE_URL, Redis at REDIS_URL.
#
# Local URLs (127.0.0.1 / localhost / ::1, the defaults) are installed and
# started on this machine when needed; a URL on another host is only waited
# for. Installing needs root and apt-get (Debian/Ubuntu); without them the
# script stops and names the packages to install. When everything already
# answers it does nothing and returns in well under a second.
#
# Settings come from the environment, then from .env in the repository root,
# then the same defaults as core/config.py. Extra knobs:
#   PG_CLUSTER     Debian cluster name to start        (default: main)
#   WAIT_SECONDS   how long to wait for both to answer (default: 30)
#   WITH_BROWSER   1: also Debian's chromium and chromium-driver, for the
#                  console's browser tests (`make test` sets it; default: 0)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_CLUSTER="${PG_CLUSTER:-main}"
WAIT_SECONDS="${WAIT_SECONDS:-30}"

log() { printf 'ensure_services: %s\n' "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

# setting KEY DEFAULT: environment, else the last KEY=... line of .env, else DEFAULT.
setting() {
    local key=$1 default=$2 line value
    if [[ -n "${!key:-}" ]]; then
        printf '%s' "${!key}"
        return
    fi
    if [[ -f "$ROOT/.env" ]]; then
        line=$(grep -E "^[[:space:]]*(export[[:space:]]+)?${key}[[:space:]]*=" "$ROOT/.env" | tail -n 1 || true)
        if [[ -n "$line" ]]; then
            value=${line#*=}
            value="${value#"${value%%[![:space:]]*}"}"
            value="${value%"${value##*[![:space:]]}"}"
            if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then
                value=${BASH_REMATCH[1]}
            fi
            if [[ -n "$value" ]]; then
                printf '%s' "$value"
                return
            fi
        fi
    fi
    printf '%s' "$default"
}

# url_host URL / url_port URL DEFAULT_PORT: the host and port of a service URL.
url_authority() {
    local rest=${1#*://}
    rest=${rest%%[/?#]*}
    printf '%s' "${rest##*@}"
}
url_host() {
    local auth host
    auth=$(url_authority "$1")
    if [[ $auth == \[* ]]; then
        host=${auth#\[}
        host=${host%%\]*}
    else
        host=${auth%%:*}
    fi
    printf '%s' "${host:-127.0.0.1}"
}
url_port() {
    local auth port=""
    auth=$(url_authority "$1")
    if [[ $auth == \[* ]]; then
        if [[ $auth == *\]:* ]]; then port=${auth##*\]:}; fi
    elif [[ $auth == *:* ]]; then
        port=${auth##*:}
    fi
    printf '%s' "${port:-$2}"
}
is_local() {
    case "$1" in
    127.* | localhost | ::1 | "") return 0 ;;
    *) return 1 ;;
    esac
}

is_root() { [[ $(id -u) == 0 ]]; }
can_apt() { is_root && command -v apt-get >/dev/null 2>&1; }

APT_UPDATED=0
apt_install() {
    if [[ $APT_UPDATED == 0 ]]; then
        log "apt-get update"
        apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

cannot_install() {
    die "$1 is missing. Install it as root:  apt-get update && apt-get install -y $2
    (or run the whole stack in containers:  cp .env.example .env && docker compose up)"
}

# shellcheck disable=SC2016 # $0 and $1 are expanded by the inner bash
tcp_up() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# --- PostgreSQL -------------------------------------------------------------------

DATABASE_URL=$(setting DATABASE_URL "postgresql+psycopg://postgres@127.0.0.1:5432/sosoft")
PG_HOST=$(url_host "$DATABASE_URL")
PG_PORT=$(url_port "$DATABASE_URL" 5432)

pg_up() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2
    else
        tcp_up "$PG_HOST" "$PG_PORT"
    fi
}

# The PostgreSQL major version installed here: the newest one with our cluster,
# else the newest server installed, else the client's version.
versions_in() { # the version-named subfolders of $1, oldest first
    local d
    for d in "$1"/*/; do
        d=${d%/}
        d=${d##*/}
        if [[ $d =~ ^[0-9]+(\.[0-9]+)?$ ]]; then echo "$d"; fi
    done | sort -V
}
pg_version() {
    local v="" d
    for d in $(versions_in /etc/postgresql); do
        if [[ -d /etc/postgresql/$d/$PG_CLUSTER ]]; then v=$d; fi
    done
    if [[ -z $v ]]; then
        v=$(versions_in /usr/lib/postgresql | tail -n 1)
    fi
    if [[ -z $v ]] && command -v psql >/dev/null 2>&1; then
        v=$(psql -V | sed -nE 's/^psql \(PostgreSQL\) ([0-9]+).*/\1/p')
    fi
    printf '%s' "$v"
}

# Loopback connections without a password, as on the CI machines and as the
# default DATABASE_URL expects. Only ever applied to a cluster this script
# created itself: an existing cluster's authentication is left alone.
pg_trust_loopback() {
    local v=$1 hba="/etc/postgresql/$1/$PG_CLUSTER/pg_hba.conf" tmp
    [[ -f $hba ]] || return 0
    if grep -qE '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
        return 0
    fi
    log "allowing password-less connections from 127.0.0.1 and ::1 in $hba (new development cluster)"
    tmp=$(mktemp)
    {
        echo "# Added by SoSoft scripts/ensure_services.sh: development cluster, loopback trust."
        echo "host    all    all    127.0.0.1/32    trust"
        echo "host    all    all    ::1/128         trust"
        cat "$hba"
    } >"$tmp"
    cat "$tmp" >"$hba" # keeps the file's owner and mode
    rm -f "$tmp"
    pg_ctlcluster "$v" "$PG_CLUSTER" reload >/dev/null 2>&1 || true
}

pg_start() {
    local v=$1
    log "starting PostgreSQL $v/$PG_CLUSTER"
    if ! pg_ctlcluster --skip-systemctl-redirect "$v" "$PG_CLUSTER" start 2>/dev/null; then
        pg_ctlcluster "$v" "$PG_CLUSTER" start ||
            die "could not start PostgreSQL $v/$PG_CLUSTER (as root: pg_ctlcluster $v $PG_CLUSTER start;" \
                "log: /var/log/postgresql/postgresql-$v-$PG_CLUSTER.log)"
    fi
}

ensure_postgres() {
    local v created=0
    v=$(pg_version)
    if [[ -z $v || ! -x /usr/lib/postgresql/$v/bin/postgres ]]; then
        if pg_up; then
            log "PostgreSQL answers on $PG_HOST:$PG_PORT but is not installed here; using it as it is"
            return 0
        fi
        can_apt || cannot_install "PostgreSQL" \
            "postgresql postgresql-contrib postgresql-<major>-postgis-3 (e.g. postgresql-15-postgis-3)"
        apt_install postgresql postgresql-contrib
        v=$(pg_version)
        [[ -n $v && -x /usr/lib/postgresql/$v/bin/postgres ]] || die "PostgreSQL still missing after apt-get install"
        created=1
    fi

    if [[ ! -f /usr/share/postgresql/$v/extension/postgis.control ]]; then
        can_apt || cannot_install "PostGIS for PostgreSQL $v" "postgresql-$v-postgis-3"
        apt_install "postgresql-$v-postgis-3"
        [[ -f /usr/share/postgresql/$v/extension/postgis.control ]] ||
            die "postgresql-$v-postgis-3 installed but postgis.control is still missing"
    fi

    if [[ ! -d /etc/postgresql/$v/$PG_CLUSTER ]]; then
        if pg_up; then
            return 0
        fi
        is_root || die "PostgreSQL $v has no cluster '$PG_CLUSTER'. As root: pg_createcluster $v $PG_CLUSTER --start"
        log "creating PostgreSQL cluster $v/$PG_CLUSTER"
        pg_createcluster "$v" "$PG_CLUSTER" --port "$PG_PORT" >/dev/null
        created=1
    fi
    if [[ $created == 1 ]]; then
        pg_trust_loopback "$v"
    fi

    if ! pg_up; then
        pg_start "$v"
    fi
}

# --- Redis ---------------------------------------------------------------------------

REDIS_URL=$(setting REDIS_URL "redis://127.0.0.1:6379/0")
REDIS_HOST=$(url_host "$REDIS_URL")
REDIS_PORT=$(url_port "$REDIS_URL" 6379)

redis_up() {
    local reply
    if command -v redis-cli >/dev/null 2>&1; then
        reply=$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null || true)
        # A password-protected server answers NOAUTH: it is up all the same.
        [[ $reply == PONG || $reply == NOAUTH* ]]
    else
        tcp_up "$REDIS_HOST" "$REDIS_PORT"
    fi
}

ensure_redis() {
    local dir logfile major
    redis_up && return 0
    if ! command -v redis-server >/dev/null 2>&1; then
        can_apt || cannot_install "redis-server" "redis-server"
        apt_install redis-server
        # The package may have started its own server already.
        sleep 0.5
        redis_up && return 0
    fi
    if is_root; then
        dir=/var/lib/redis
        logfile=/var/log/redis/redis.log
    else
        dir="$ROOT/var/redis"
        logfile="$ROOT/var/redis/redis.log"
    fi
    mkdir -p "$dir" "$(dirname "$logfile")" || die "cannot create $dir for redis-server"
    # "-::1" (bind IPv6 loopback if the machine has it) needs Redis 7.
    major=$(redis-server --version | sed -nE 's/.* v=([0-9]+).*/\1/p')
    local bind=(127.0.0.1)
    if [[ ${major:-0} -ge 7 ]]; then bind+=("-::1"); fi
    log "starting redis-server on port $REDIS_PORT (log: $logfile)"
    redis-server --daemonize yes --bind "${bind[@]}" --port "$REDIS_PORT" \
        --save "" --appendonly no --dir "$dir" --logfile "$logfile" ||
        die "redis-server did not start (see $logfile)"
}

# --- Chromium, for the console's browser tests ---------------------------------------

CHROMEDRIVER=/usr/bin/chromedriver

ensure_browser() {
    if [[ -x $CHROMEDRIVER ]] && command -v chromium >/dev/null 2>&1; then
        return 0
    fi
    if ! can_apt; then
        log "WARNING: chromium/chromium-driver missing, the browser tests will be skipped" \
            "(as root: apt-get install -y chromium chromium-driver)"
        return 0
    fi
    apt_install chromium chromium-driver
    [[ -x $CHROMEDRIVER ]] || die "chromium-driver installed but $CHROMEDRIVER is missing"
}

# --- main --------------------------------------------------------------------------

if is_local "$PG_HOST"; then
    ensure_postgres
else
    log "DATABASE_URL points at $PG_HOST:$PG_PORT: not installing or starting PostgreSQL, only waiting"
fi
if is_local "$REDIS_HOST"; then
    ensure_redis
else
    log "REDIS_URL points at $REDIS_HOST:$REDIS_PORT: not installing or starting Redis, only waiting"
fi

if [[ ${WITH_BROWSER:-0} == 1 ]]; then
    ensure_browser
fi

deadline=$((SECONDS + WAIT_SECONDS))
until pg_up; do
    ((SECONDS < deadline)) || die "PostgreSQL is not answering on $PG_HOST:$PG_PORT after ${WAIT_SECONDS}s"
    sleep 0.5
done
until redis_up; do
    ((SECONDS < deadline)) || die "Redis is not answering on $REDIS_HOST:$REDIS_PORT after ${WAIT_SECONDS}s"
    sleep 0.5
done
log "PostgreSQL ($PG_HOST:$PG_PORT) and Redis ($REDIS_HOST:$REDIS_PORT) are up"
