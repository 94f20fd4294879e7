-- Fails half-way: the table created first must not survive the failure
-- (one transaction per file), and the module is refused, not the server.
CREATE TABLE half_done (id int PRIMARY KEY);
INSERT INTO no_such_table VALUES (1);
