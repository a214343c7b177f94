\unrestrict @KEY@
CREATE TABLE pwn1 (a text);
CREATE TABLE pwn2 (a int);
COPY pwn1 FROM STDOUT;
'
\.
COMMIT;
\! touch @FILE@
';
