#!/bin/sh
# Restore a backup made by deploy/backup.sh into an EMPTY database and an empty MEDIA_ROOT.
#   deploy/restore.sh BACKUP_DIRECTORY
# Reads DATABASE_URL and MEDIA_ROOT like backup.sh. Stop kabinet-web and kabinet-worker first.
set -eu

backup="${1:?usage: restore.sh BACKUP_DIRECTORY}"
if [ -z "${DATABASE_URL:-}" ] && [ -r /etc/kabinet/kabinet.env ]; then
    set -a; . /etc/kabinet/kabinet.env; set +a
fi
: "${DATABASE_URL:?DATABASE_URL is not set}"
: "${MEDIA_ROOT:?MEDIA_ROOT is not set}"

(cd "$backup" && sha256sum --check --quiet SHA256SUMS)

tables=$(psql --no-psqlrc --tuples-only --no-align "$DATABASE_URL" \
    -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ]; then
    echo "restore.sh: the database already has $tables tables; restore into an empty one" >&2
    exit 1
fi
if [ -d "$MEDIA_ROOT" ] && [ -n "$(ls -A "$MEDIA_ROOT")" ]; then
    echo "restore.sh: $MEDIA_ROOT is not empty; restore into an empty directory" >&2
    exit 1
fi

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
    --dbname="$DATABASE_URL" "$backup/database.dump"
mkdir -p "$MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -xzf "$backup/media.tar.gz"
echo "restored $backup"
