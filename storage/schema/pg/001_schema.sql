-- PostgreSQL's own lines of migration 0 -> 1 (../001_schema.sql), which
-- no rule of pg.awk can derive: pg.awk puts each piece below where its
-- heading says.

-- before: CREATE TABLE meeting_settings (
-- Two helpers stand in for SQLite's date functions: teletrack_time()
-- reads a time as the scheduling app may have written it (NULL when it
-- cannot, where a cast would fail the whole query), teletrack_iso()
-- writes one in our format (the DEFAULT of createdAt and updatedAt).
CREATE FUNCTION teletrack_time(t TEXT) RETURNS TIMESTAMPTZ
 LANGUAGE plpgsql STABLE AS $$ BEGIN
 RETURN CAST(t AS TIMESTAMPTZ);
 EXCEPTION WHEN OTHERS THEN RETURN NULL;
 END $$;
CREATE FUNCTION teletrack_iso(t TIMESTAMPTZ) RETURNS TEXT
 LANGUAGE sql STABLE AS
 $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- instead of: p.participant_id, p.participant_name AS name,
-- caregiver_performance's name: PostgreSQL has no bare column beside
-- MAX(), so the name of the row with the latest joined_at is picked so.
 p.participant_id,
 (array_agg(p.participant_name ORDER BY p.joined_at DESC NULLS LAST))[1]
  AS name,
-- instead of: ROUND(AVG(p.spoke_time_seconds), 1) AS avg_spoke_time_seconds,
-- PostgreSQL's ROUND() to a number of digits takes NUMERIC, not DOUBLE
-- PRECISION.
 ROUND(CAST(AVG(p.spoke_time_seconds) AS NUMERIC), 1)
  AS avg_spoke_time_seconds,
