-- The notebook's own notes, one hospital's rows each (RLS). The consumer
-- test module has a table of the same name in its own schema: a service
-- call that did not switch the search path would write there instead.
CREATE TABLE notes (
    id        bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL DEFAULT concerto.current_tenant()
              REFERENCES concerto.tenants (id),
    text      text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    written_by text
);
SELECT concerto.enable_tenant_rls('notes');
GRANT USAGE ON SEQUENCE notes_id_seq TO concerto_app;
