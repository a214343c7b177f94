--
-- Crafted: what psql and the filter must split alike, all accepted.
--
SET standard_conforming_strings = on;
SELECT 'a\b', 'it''s', E'it\'s \\ ok', 'x' 'y';
SELECT 'continued'
'on the next line', E'escape'
'\\ and more';
SELECT B'0101', X'ff', N'national', U&'d\0061t\+000061', U&"d\0061t" FROM (SELECT 1 AS "dat") AS t;
SELECT $$dollar ' " -- /* $$, $a$ $b$ ; $a$, $x1$;$x1$;
SELECT 1::int, 2 AS "a;b", '3'::text AS ":X", (4) -- comment ; 'x
;
SELECT 1 /* block /* nested ; */ still ' */ + 2;
-- comment ending in a carriage return, then more comment -- ';
SELECT /* a */ 'x' -- y
, 1e10, 1.5e-3, .5, 0x1F;
SELECT :lower_case, :'quoted', :"ident";
SELECT 'Zoë', 'naïve', '鍵の保管', "Zoë" FROM (SELECT 1 AS "Zoë") AS t;
CREATE FUNCTION f_atomic(a integer, b float8 DEFAULT 1e+30) RETURNS integer
    LANGUAGE sql
    BEGIN ATOMIC
 SELECT CASE WHEN ($1 > 0) THEN 1 ELSE 0 END;
 SELECT 1e10 + b + 2.5e-3;
 SELECT (a + 1);
END;
CREATE TABLE t ("x;y" text, z text);
COPY t ("x;y", z) FROM stdin;
a	'unbalanced
b	$$ /* -- \\.
\.
SET standard_conforming_strings = off;
SELECT 'a\\b', 'c''d', E'\\';
RESET standard_conforming_strings;
SELECT 1; -- a comment
 -- and another
