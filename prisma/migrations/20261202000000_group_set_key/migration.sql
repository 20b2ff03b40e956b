-- One definition of an event's group set (see docs/architecture.md, "Read path"):
-- its group ids sorted in byte order (the "C" collation) and their key, '' for
-- events without groups, else the md5 of the JSON text of the sorted ids. The
-- ingest statement (src/services/ingest.ts) writes GroupSet and the rollups with it.
--
-- A set-returning SQL function so PostgreSQL inlines it into the calling
-- statement: the plan is the one of the expression written out (a scalar SQL
-- function cannot be inlined here, its body sorts in a sub-select). OFFSET 0
-- sorts once per event, not once per use of the ids. IMMUTABLE although
-- array_to_json is only STABLE: on text[] its output depends on no setting.
CREATE FUNCTION group_set(group_ids TEXT[])
RETURNS TABLE ("groupIds" TEXT[], "groupSet" TEXT)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT s.ids, CASE WHEN cardinality(s.ids) = 0 THEN '' ELSE md5(array_to_json(s.ids)::text) END
  FROM (SELECT ARRAY(SELECT g FROM unnest(group_ids) g ORDER BY g COLLATE "C") AS ids OFFSET 0) s
$$;

-- The sets stored so far were keyed by the expression this function replaces:
-- refuse to go on if it would key any of them differently.
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM "GroupSet" s CROSS JOIN LATERAL group_set(s."groupIds") k
    WHERE k."groupSet" <> s."groupSet" OR k."groupIds" <> s."groupIds"
  ) THEN
    RAISE EXCEPTION 'group_set() keys a stored group set differently';
  END IF;
END
$$;
