CREATE TABLE pwn1 (a int);
CREATE TABLE pwn2 (a int);
SELECT E'x'
'a\'' ; COMMIT; --';
