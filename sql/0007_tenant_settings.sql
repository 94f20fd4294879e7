-- Per-hospital settings that modules declare (plugin ABI 1.4): the value a
-- hospital chose; a missing row means the module's declared default.
CREATE TABLE tenant_settings (
    tenant_id  bigint NOT NULL DEFAULT current_tenant() REFERENCES tenants (id),
    module     text NOT NULL CHECK (module ~ '^[a-z][a-z0-9_]{0,31}$'),
    key        text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
    value      text NOT NULL CHECK (length(value) <= 10000),
    updated_by bigint REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, module, key)
);
SELECT enable_tenant_rls('tenant_settings');
