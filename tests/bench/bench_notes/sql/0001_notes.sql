-- A hospital-owned table for the authenticated read benchmark: the
-- standard policy restricts every query to the caller's hospital, and the
-- read is one primary-key lookup.
CREATE TABLE notes (
    id        bigint PRIMARY KEY,
    tenant_id bigint NOT NULL DEFAULT concerto.current_tenant()
              REFERENCES concerto.tenants (id),
    text      text NOT NULL
);
SELECT concerto.enable_tenant_rls('notes');
