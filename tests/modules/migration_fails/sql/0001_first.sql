-- Applies: the module's first migration, committed before the second fails.
CREATE TABLE first_things (id int PRIMARY KEY);
