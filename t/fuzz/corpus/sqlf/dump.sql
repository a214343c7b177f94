--
-- PostgreSQL database dump
--

\restrict abc
SET standard_conforming_strings = on;
DROP TABLE public.deposits;
CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;
DO $x$ BEGIN PERFORM 'it''s'; END $x$;
COPY public.deposits (id, data) FROM stdin;
1	\\x00
\.
BEGIN;
SELECT pg_catalog.lo_open('1', 131072);
COMMIT;
/* a /* nested */ comment */ SELECT E'\'';
--
-- PostgreSQL database dump complete
--

\unrestrict abc

