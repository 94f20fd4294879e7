-- The test module's stand-in for a real invitation check: it binds the
-- transaction to any active hospital as a guest, so the integration test can
-- exercise the core's rules of req_bind_guest (a real module checks its own
-- secret link here first; see teleconsult.guest_invitation).
CREATE FUNCTION guest_bind(p_tenant bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ward, pg_catalog, pg_temp AS
$$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM concerto.tenants WHERE id = p_tenant AND active) THEN
    RETURN false;
  END IF;
  PERFORM concerto.context_guest(p_tenant);
  RETURN true;
END
$$;
