#!/bin/sh
# Back up Kabinet: the database (pg_dump, custom format) and the uploaded files (MEDIA_ROOT).
#   deploy/backup.sh [DIRECTORY]      (default /var/backups/kabinet)
# Reads DATABASE_URL and MEDIA_ROOT from the environment, else from /etc/kabinet/kabinet.env.
# Writes DIRECTORY/kabinet-<UTC time>/ with database.dump, media.tar.gz and SHA256SUMS, and
# prints that directory. Restore with deploy/restore.sh (deploy/README.md, «Backups»).
set -eu

if [ -z "${DATABASE_URL:-}" ] && [ -r /etc/kabinet/kabinet.env ]; then
    set -a; . /etc/kabinet/kabinet.env; set +a
fi
: "${DATABASE_URL:?DATABASE_URL is not set}"
: "${MEDIA_ROOT:?MEDIA_ROOT is not set}"

destination="${1:-/var/backups/kabinet}/kabinet-$(date -u +%Y%m%dT%H%M%SZ)"
umask 077   # residents' data: readable by the owner only
mkdir -p "$destination"

# One consistent snapshot of the database, without owners or grants (restorable by any role).
pg_dump --format=custom --no-owner --no-privileges --file="$destination/database.dump" "$DATABASE_URL"
# The files, relative to MEDIA_ROOT; taken after the dump, so every file the dump names is there
# (a file uploaded in between is extra, never missing).
mkdir -p "$MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -czf "$destination/media.tar.gz" .
(cd "$destination" && sha256sum database.dump media.tar.gz > SHA256SUMS)
echo "$destination"
