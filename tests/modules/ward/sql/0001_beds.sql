-- A hospital-owned table: tenant_id defaults to the caller's hospital and
-- the standard policy restricts every query to it.
CREATE TABLE beds (
    id        serial PRIMARY KEY,
    tenant_id bigint NOT NULL DEFAULT concerto.current_tenant()
              REFERENCES concerto.tenants (id),
    label     text NOT NULL
);
SELECT concerto.enable_tenant_rls('beds');
