\unrestrict @KEY@
CREATE TABLE pwn1 (a int);
CREATE TABLE pwn2 (a int);
\restrict `touch @FILE@`
