-- What try_write would write if a script's module call could write.
CREATE TABLE notes (id bigserial PRIMARY KEY, text text NOT NULL);
GRANT SELECT, INSERT ON notes TO concerto_app;
GRANT USAGE ON SEQUENCE notes_id_seq TO concerto_app;
