-- See up.sql: nothing was changed on PostgreSQL.
SELECT 1;
