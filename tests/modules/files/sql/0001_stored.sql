-- What each hospital stored through this module: the rows that make a blob
-- readable (concerto.declare_reference; a blob no visible row points at
-- answers 404, whoever knows its hash).
CREATE TABLE stored (
    id        bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL DEFAULT concerto.current_tenant()
              REFERENCES concerto.tenants (id),
    sha256    text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$')
);
SELECT concerto.enable_tenant_rls('stored');
SELECT concerto.declare_reference('blob', 'stored', 'sha256');
