-- Nothing to change on PostgreSQL: it checks references after each statement with no
-- statement journal to keep. The SQLite migration of the same name defers the references of the
-- tables an import fills to the commit (see its up.sql); the two sets keep the same names.
SELECT 1;
