-- Regional data with a boundary (docs/security.md, "Regional data").
--
-- Patients and stored files (blobs) are regional: one patient identity for
-- the region (R2.6), one copy of each file, named by its content. Who may
-- reach them is decided through the hospital-owned rows that point at
-- them. Tables declare those pointers once, in their migrations:
--
--   SELECT concerto.declare_reference('patient', 'my_table', 'patient_id');
--   SELECT concerto.declare_reference('blob', 'my_table', 'sha256');
--
-- "A row the caller may see points at it" is then asked under the caller's
-- own row-level security, so it answers for the caller's hospital (and for
-- what the module's policies share across hospitals, such as a teleconsult
-- session's participants).
--   - A blob is readable only through such a row (the blobs table's policy).
--   - A hospital may create a patient's one-time access link only when it
--     has a relationship with the patient: it registered them, or a row of
--     its own (a request, a session, a form, a booking) names them.

CREATE TABLE data_references (
    kind   text NOT NULL CHECK (kind IN ('patient', 'blob')),
    tbl    regclass NOT NULL,
    col    name NOT NULL,
    PRIMARY KEY (kind, tbl, col)
);
GRANT SELECT ON data_references TO concerto_app;


-- Whether a row the caller may see (RLS, as the caller) names the patient
-- or the blob, in one of the columns declared for it. declare_reference
-- rewrites these two functions with one static query over the declared
-- columns: plpgsql keeps its plan for the session (a dynamic query would
-- be planned at every call). They run as the caller on purpose (SECURITY
-- INVOKER): the answer must be the caller's view.
CREATE FUNCTION referenced_patient(p_value bigint) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ BEGIN RETURN false; END $$;
CREATE FUNCTION referenced_blob(p_value text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ BEGIN RETURN false; END $$;
GRANT EXECUTE ON FUNCTION referenced_patient(bigint), referenced_blob(text) TO concerto_app;

CREATE OR REPLACE FUNCTION declare_reference(p_kind text, p_tbl regclass, p_col name)
RETURNS void
LANGUAGE plpgsql SET search_path = concerto, pg_catalog, pg_temp AS
$decl$
DECLARE
  checks text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                  WHERE attrelid = p_tbl AND attname = p_col AND NOT attisdropped) THEN
    RAISE EXCEPTION 'declare_reference: % has no column %', p_tbl, p_col;
  END IF;
  INSERT INTO data_references VALUES (p_kind, p_tbl, p_col) ON CONFLICT DO NOTHING;
  SELECT string_agg(format('EXISTS (SELECT 1 FROM %I.%I WHERE %I = p_value)',
                           n.nspname, c.relname, r.col),
                    ' OR ' ORDER BY n.nspname, c.relname, r.col)
    INTO checks
    FROM data_references r JOIN pg_class c ON c.oid = r.tbl
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE r.kind = p_kind;
  EXECUTE format($f$CREATE OR REPLACE FUNCTION concerto.referenced_%s(p_value %s)
    RETURNS boolean LANGUAGE plpgsql STABLE
    SET search_path = concerto, pg_catalog, pg_temp AS
    $b$ BEGIN RETURN %s; END $b$$f$,
    p_kind, CASE p_kind WHEN 'patient' THEN 'bigint' ELSE 'text' END, checks);
END
$decl$;

-- The hospital that registered a patient has a relationship with them.
ALTER TABLE patients ADD COLUMN created_tenant_id bigint REFERENCES tenants (id);

-- Related: the hospital registered the patient, a row it may see names
-- them, or its staff found them in the last day through a search naming
-- that person (the search's audit row): what lets a clinician who looked a
-- patient up attach them to a request. A bare id, guessed or counted, is
-- none of these, so it neither reads a patient nor makes one related.
CREATE FUNCTION patient_related(p_patient bigint) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  here bigint := (SELECT c.tenant_id FROM concerto.context_now c);
BEGIN
  RETURN EXISTS (SELECT 1 FROM patients p WHERE p.id = p_patient
                  AND p.created_tenant_id = here)
      OR EXISTS (SELECT 1 FROM audit_log a WHERE a.tenant_id = here
                  AND a.patient_id = p_patient AND a.action = 'patient.search'
                  AND a.at > now() - interval '1 day')
      OR referenced_patient(p_patient);
END
$$;
-- The search rows that count, found without reading a patient's whole trail.
CREATE INDEX audit_patient_search ON audit_log (tenant_id, patient_id, at)
  WHERE action = 'patient.search';
GRANT EXECUTE ON FUNCTION patient_related(bigint) TO concerto_app;

SELECT declare_reference('patient', 'form_submissions', 'patient_id');

-- Blobs: visible through a row that points at them; recorded through
-- blob_record below; never updated or deleted by requests.
ALTER TABLE blobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE blobs FORCE ROW LEVEL SECURITY;
CREATE POLICY blob_read ON blobs FOR SELECT
  USING ((SELECT c.regional FROM concerto.context_now c) OR referenced_blob(sha256));
CREATE POLICY blob_owner_insert ON blobs FOR INSERT WITH CHECK ((SELECT c.owner FROM concerto.context_now c));
REVOKE INSERT ON blobs FROM concerto_app;

-- Recording a stored file: the first writer of a content wins and later
-- ones (the same bytes) change nothing. ON CONFLICT would need the
-- existing row to be visible to the caller, which it may not be yet (the
-- row pointing at it comes next in the same transaction), hence a function
-- of the owner's; it only ever adds metadata rows.
CREATE FUNCTION blob_record(p_sha256 text, p_length bigint, p_content_type text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$ INSERT INTO blobs (sha256, length, content_type) VALUES (p_sha256, p_length, p_content_type)
   ON CONFLICT (sha256) DO NOTHING $$;
GRANT EXECUTE ON FUNCTION blob_record(text, bigint, text) TO concerto_app;
