-- Events: a transactional outbox. publish() inserts the event and one
-- delivery row per subscriber (module handlers, hospital webhooks) in the
-- publisher's transaction, so an event exists exactly when the change that
-- caused it committed. Dispatchers in every server claim due deliveries with
-- FOR UPDATE SKIP LOCKED; a module handler's effects and the "done" mark
-- commit together, so each effect happens once even across crashes.
-- Payload versions are never changed in place: a new shape is a new version.

CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
    version     integer NOT NULL CHECK (version BETWEEN 1 AND 1000),
    tenant_id   bigint REFERENCES tenants (id),
    payload     jsonb NOT NULL,
    request_id  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
  USING (tenant_id = current_tenant() OR is_regional())
  WITH CHECK (tenant_id IS NOT DISTINCT FROM current_tenant() OR is_regional());
GRANT SELECT, INSERT ON events TO concerto_app;
GRANT USAGE ON SEQUENCE events_id_seq TO concerto_app;

-- One row per (subscriber, event): the subscriber's delivery state.
CREATE TABLE event_deliveries (
    subscriber      text NOT NULL CHECK (length(subscriber) <= 200),
    event_id        bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tenant_id       bigint REFERENCES tenants (id),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'done', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    done_at         timestamptz,
    PRIMARY KEY (subscriber, event_id)
);
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at)
  WHERE state = 'pending';
CREATE INDEX event_deliveries_dead ON event_deliveries (tenant_id)
  WHERE state = 'dead';
ALTER TABLE event_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_deliveries
  USING (tenant_id = current_tenant() OR is_regional())
  WITH CHECK (tenant_id IS NOT DISTINCT FROM current_tenant() OR is_regional());
GRANT SELECT, INSERT, UPDATE ON event_deliveries TO concerto_app;

-- Outbound webhooks of a hospital: external systems (CUP, registries) told
-- of events, signed with HMAC-SHA256 over "timestamp.body".
CREATE TABLE webhooks (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    url         text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 500),
    secret      text NOT NULL,
    events      text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 50),
    active      boolean NOT NULL DEFAULT true,
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
SELECT enable_tenant_rls('webhooks');
GRANT USAGE ON SEQUENCE webhooks_id_seq TO concerto_app;
