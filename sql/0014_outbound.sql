-- Where the server may connect on a hospital's behalf (its webhooks, its
-- directory): the region's allow-list per hospital (core/outbound/outbound_policy.c,
-- docs/security.md "Outbound connections"). No row is the default policy:
-- public addresses only, TLS required. Only regional administrators change
-- a row (the route requires it); hospital administrators read their own
-- through RLS so that a refused URL makes sense to them.
CREATE TABLE tenant_outbound (
    tenant_id       bigint PRIMARY KEY DEFAULT current_tenant() REFERENCES tenants (id),
    -- Ranges the region permits beyond public addresses, e.g. the
    -- directory's 10.20.0.0/16. cidr refuses host bits, as the API does.
    allow_cidrs     cidr[] NOT NULL DEFAULT '{}'
                    CHECK (cardinality(allow_cidrs) <= 32 AND array_position(allow_cidrs, NULL) IS NULL),
    -- http:// webhooks and ldap:// without StartTLS.
    allow_plaintext boolean NOT NULL DEFAULT false,
    updated_by      bigint REFERENCES users (id),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
SELECT enable_tenant_rls('tenant_outbound');
-- The region's decision, not the hospital's: whatever SQL runs in a
-- hospital's context cannot widen its own allow-list.
CREATE POLICY region_inserts ON tenant_outbound AS RESTRICTIVE FOR INSERT
  WITH CHECK ((SELECT c.regional FROM concerto.context_now c));
CREATE POLICY region_updates ON tenant_outbound AS RESTRICTIVE FOR UPDATE
  USING ((SELECT c.regional FROM concerto.context_now c));
CREATE POLICY region_deletes ON tenant_outbound AS RESTRICTIVE FOR DELETE
  USING ((SELECT c.regional FROM concerto.context_now c));
