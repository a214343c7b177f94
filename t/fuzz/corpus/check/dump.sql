--
-- PostgreSQL database dump
--

-- Dumped from database version 15.18
-- Dumped by pg_dump version 15.18

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET client_min_messages = warning;

ALTER TABLE ONLY public.t DROP CONSTRAINT t_pkey;
SELECT pg_catalog.lo_unlink('4242');
DROP FUNCTION public.f();
DROP TABLE public.t;
--
-- Name: t; Type: TABLE; Schema: public; Owner: keytrustee
--

CREATE TABLE public.t (
    id integer NOT NULL,
    note text
);

CREATE TABLE public."T;x" (
    v integer
);

CREATE FUNCTION public.f() RETURNS text
    LANGUAGE plpgsql
    AS $_$
BEGIN
COMMIT;
RETURN 'it''s $x$ -- not a comment; ROLLBACK;';
END
$_$;

CREATE FUNCTION public.g(a integer) RETURNS integer
    LANGUAGE sql
    BEGIN ATOMIC
 SELECT (a + 1);
 SELECT CASE WHEN (a > 0) THEN 1 ELSE 0 END;
END;

/* a block comment; /* nested; */ COMMIT; */
COPY public.t (id, note) FROM stdin;
1	COMMIT;
2	\\.
3	ROLLBACK;\tEND;
4	'unbalanced "quotes $$
\.
INSERT INTO public.t VALUES (5, E'escaped \' quote; COMMIT;
ROLLBACK;');
INSERT INTO public."T;x" VALUES (6);
SELECT 'a'
'b';

BEGIN;

SELECT pg_catalog.lo_create('4242');
SELECT pg_catalog.lo_open('4242', 131072);
SELECT pg_catalog.lo_close(0);

COMMIT;

--
-- PostgreSQL database dump complete
--

