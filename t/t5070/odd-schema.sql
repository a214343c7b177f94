CREATE TABLE "we;ird ""name""" ("col$1" text DEFAULT $$a'b$$,
	"E" text DEFAULT E'back\\slash \' quote');
INSERT INTO "we;ird ""name""" VALUES (E'tab\there', 'Zoë');
COMMENT ON TABLE "we;ird ""name""" IS 'it''s; -- not a comment';
SELECT lo_from_bytea(0, '\x00ff');
CREATE VIEW v AS SELECT (ARRAY[1, 2, 3])[1:2] AS s, 1e10 AS r;
CREATE FUNCTION f_atomic(a integer) RETURNS integer LANGUAGE sql
BEGIN ATOMIC
	SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;
	SELECT a + 1;
END;
