CREATE TABLE things (id int PRIMARY KEY, label text NOT NULL);
INSERT INTO things VALUES (1, 'uno'), (2, 'due');
