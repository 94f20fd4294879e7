-- The consumer's own rows, in a table named like the provider's: what
-- lands where shows whose schema each statement ran in.
CREATE TABLE notes (
    id        bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL DEFAULT concerto.current_tenant()
              REFERENCES concerto.tenants (id),
    text      text NOT NULL
);
SELECT concerto.enable_tenant_rls('notes');
GRANT USAGE ON SEQUENCE notes_id_seq TO concerto_app;
