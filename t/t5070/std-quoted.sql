\unrestrict @KEY@
SET standard_conforming_strings = off;
SET standard_conforming_strings = 'on';
CREATE TABLE pwn1 (a int);
CREATE TABLE pwn2 (a int);
SELECT 'a\'; COMMIT; -- \'
\! touch @FILE@
';
