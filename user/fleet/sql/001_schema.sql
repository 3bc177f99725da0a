-- SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
-- jitgate fleet store, schema version 1 (docs/fleet.md, "The store"). Applied by
-- jitgate_admin in one transaction; the last statement records the version.
--
-- The store is a mailbox, not an authority: every request and decision carries its canonical
-- bytes and the SSH signature a host verifies against its own policy. Row-level security
-- keeps hosts apart and people honest about their own name; it grants nothing.

CREATE SCHEMA jitgate;
SET search_path = jitgate;

CREATE TABLE schema_version (
	version  integer PRIMARY KEY,
	applied  timestamptz NOT NULL DEFAULT now()
);

-- One row: the last revision given to a request or decision. Writers take the next one with
-- UPDATE ... RETURNING inside their transaction; the row lock orders them, so revisions
-- become visible in commit order and a host's cursor never skips a late commit.
CREATE TABLE revision (
	one  boolean PRIMARY KEY DEFAULT true CHECK (one),
	rev  bigint NOT NULL
);
INSERT INTO revision VALUES (true, 0);

CREATE TABLE hosts (
	name             text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._-]{1,253}$'),
	labels           jsonb NOT NULL DEFAULT '{}',
	key_fingerprint  text,
	last_seen        timestamptz,
	versions         jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE requests (
	id         text PRIMARY KEY CHECK (id ~ '^fr-[0-9a-f]{16}$'),
	hash       text NOT NULL UNIQUE CHECK (hash ~ '^sha256:[0-9a-f]{64}$'),
	requester  text NOT NULL,
	role       text NOT NULL,
	hosts      text[] NOT NULL CHECK (cardinality(hosts) BETWEEN 1 AND 16384),
	canon      text NOT NULL CHECK (octet_length(canon) <= 1048576),
	signature  text NOT NULL,
	rev        bigint NOT NULL,
	stored     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_hosts ON requests USING gin (hosts);
CREATE INDEX requests_rev ON requests (rev);

CREATE TABLE decisions (
	id          bigserial PRIMARY KEY,
	request_id  text NOT NULL REFERENCES requests (id),
	kind        text NOT NULL CHECK (kind IN ('approve', 'deny', 'revoke')),
	by          text NOT NULL,
	canon       text NOT NULL CHECK (octet_length(canon) <= 65536),
	signature   text NOT NULL,
	rev         bigint NOT NULL,
	stored      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_request ON decisions (request_id);
CREATE INDEX decisions_rev ON decisions (rev);

-- One row per (request, host): what the host did with it.
CREATE TABLE activations (
	request_id     text NOT NULL REFERENCES requests (id),
	host           text NOT NULL REFERENCES hosts (name),
	state          text NOT NULL CHECK (state IN ('active', 'rejected', 'revoked', 'expired')),
	reason         text,
	kernel_expiry  timestamptz,
	at             timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (request_id, host)
);

CREATE TABLE audit_summary (
	id        bigserial PRIMARY KEY,
	host      text NOT NULL REFERENCES hosts (name),
	seq_from  bigint NOT NULL,
	seq_to    bigint NOT NULL CHECK (seq_to >= seq_from),
	summary   jsonb NOT NULL,
	at        timestamptz NOT NULL DEFAULT now()
);

-- The connecting host: its client certificate's CN (NULL without TLS: such a session sees
-- and writes nothing of any host).
CREATE FUNCTION current_host() RETURNS text
	LANGUAGE sql STABLE
	AS $$ SELECT public.ssl_client_dn_field('CN') $$;

-- Revisions and the push hint: the notification carries only the revision.
CREATE FUNCTION take_revision() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = jitgate, pg_temp
	AS $$
BEGIN
	UPDATE revision SET rev = rev + 1 RETURNING rev INTO NEW.rev;
	PERFORM pg_notify('jitgate', NEW.rev::text);
	RETURN NEW;
END
$$;
CREATE TRIGGER requests_rev BEFORE INSERT ON requests
	FOR EACH ROW EXECUTE FUNCTION take_revision();
CREATE TRIGGER decisions_rev BEFORE INSERT ON decisions
	FOR EACH ROW EXECUTE FUNCTION take_revision();

CREATE FUNCTION note_ack() RETURNS trigger
	LANGUAGE plpgsql
	AS $$
BEGIN
	PERFORM pg_notify('jitgate_ack', NEW.request_id);
	RETURN NEW;
END
$$;
CREATE TRIGGER activations_ack AFTER INSERT OR UPDATE ON activations
	FOR EACH ROW EXECUTE FUNCTION note_ack();

-- ---- privileges: what each role may do at all

REVOKE ALL ON ALL TABLES IN SCHEMA jitgate FROM PUBLIC;
GRANT USAGE ON SCHEMA jitgate TO agent, jitgate_user;
GRANT SELECT ON schema_version, revision TO agent, jitgate_user;

GRANT SELECT ON hosts TO agent, jitgate_user;
GRANT UPDATE (last_seen, versions) ON hosts TO agent;

GRANT SELECT ON requests, decisions TO agent, jitgate_user;
GRANT INSERT (id, hash, requester, role, hosts, canon, signature) ON requests TO jitgate_user;
GRANT INSERT (request_id, kind, by, canon, signature) ON decisions TO jitgate_user;
GRANT USAGE ON SEQUENCE decisions_id_seq TO jitgate_user;

GRANT SELECT, INSERT, UPDATE ON activations TO agent;
GRANT SELECT ON activations TO jitgate_user;

GRANT SELECT, INSERT ON audit_summary TO agent;
GRANT USAGE ON SEQUENCE audit_summary_id_seq TO agent;
GRANT SELECT ON audit_summary TO jitgate_user;

-- ---- row-level security: which rows. FORCE, or the owner would bypass the policies.

ALTER TABLE hosts ENABLE ROW LEVEL SECURITY;
ALTER TABLE hosts FORCE ROW LEVEL SECURITY;
ALTER TABLE requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE requests FORCE ROW LEVEL SECURITY;
ALTER TABLE decisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE decisions FORCE ROW LEVEL SECURITY;
ALTER TABLE activations ENABLE ROW LEVEL SECURITY;
ALTER TABLE activations FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_summary ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_summary FORCE ROW LEVEL SECURITY;

-- the admins: everything (host enrolment, clean-up)
CREATE POLICY admin_all ON hosts TO jitgate_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON requests TO jitgate_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON decisions TO jitgate_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON activations TO jitgate_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON audit_summary TO jitgate_admin USING (true) WITH CHECK (true);

-- a host: its own row, the requests naming it and their decisions, its own activations and
-- audit summaries
CREATE POLICY host_self ON hosts FOR SELECT TO agent USING (name = current_host());
CREATE POLICY host_beat ON hosts FOR UPDATE TO agent
	USING (name = current_host()) WITH CHECK (name = current_host());
CREATE POLICY host_targets ON requests FOR SELECT TO agent USING (current_host() = ANY (hosts));
CREATE POLICY host_targets ON decisions FOR SELECT TO agent
	USING (EXISTS (SELECT 1 FROM requests r WHERE r.id = request_id));
CREATE POLICY host_own ON activations TO agent
	USING (host = current_host()) WITH CHECK (host = current_host());
CREATE POLICY host_own ON audit_summary TO agent
	USING (host = current_host()) WITH CHECK (host = current_host());

-- people: read everything (fleet history), write only under their own name
CREATE POLICY people_read ON hosts FOR SELECT TO jitgate_user USING (true);
CREATE POLICY people_read ON requests FOR SELECT TO jitgate_user USING (true);
CREATE POLICY people_own ON requests FOR INSERT TO jitgate_user
	WITH CHECK (requester = session_user);
CREATE POLICY people_read ON decisions FOR SELECT TO jitgate_user USING (true);
CREATE POLICY people_own ON decisions FOR INSERT TO jitgate_user WITH CHECK (by = session_user);
CREATE POLICY people_read ON activations FOR SELECT TO jitgate_user USING (true);
CREATE POLICY people_read ON audit_summary FOR SELECT TO jitgate_user USING (true);

INSERT INTO schema_version (version) VALUES (1);
