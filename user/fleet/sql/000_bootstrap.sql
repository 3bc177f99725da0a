-- SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
-- jitgate fleet store, bootstrap: run once by a PostgreSQL superuser, connected to the
-- database that will hold the store (docs/fleet.md, "The store"). Idempotent. Creates the
-- three roles and the sslinfo extension (not a trusted extension, so a superuser's); the
-- schema itself comes from the numbered migrations, applied by jitgate_admin.
--
--   jitgate_admin  owns the schema and applies migrations (a login role of the site's admins)
--   agent          the one role every host's jitgated uses; pg_ident maps each host
--                  certificate's CN to it, and row-level security keys on that CN
--   jitgate_user   the group of people (requesters, approvers): each person logs in with a
--                  role of their own user name, member of jitgate_user
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jitgate_admin') THEN
		CREATE ROLE jitgate_admin LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agent') THEN
		CREATE ROLE agent LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jitgate_user') THEN
		CREATE ROLE jitgate_user NOLOGIN;
	END IF;
END
$$;

CREATE EXTENSION IF NOT EXISTS sslinfo;
GRANT CREATE ON DATABASE :"DBNAME" TO jitgate_admin;
