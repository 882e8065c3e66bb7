#!/bin/sh
# Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d): one database
# per service, each owned by a role of the same name whose password is <SERVICE>_DB_PASSWORD, so no
# service can read another's tables. The services apply their own migrations into them.
set -eu

for service in users products inventory orders payments reviews; do
  variable="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="$(printenv "$variable" || true)"
  if [ -z "$password" ]; then
    echo "init-databases: $variable is not set" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
