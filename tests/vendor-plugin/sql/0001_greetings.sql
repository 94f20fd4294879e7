CREATE TABLE greetings (
    lang text PRIMARY KEY,
    text text NOT NULL
);
INSERT INTO greetings VALUES
    ('it', 'Buongiorno'), ('en', 'Good morning'), ('de', 'Guten Morgen'),
    ('fr', 'Bonjour'), ('sl', 'Dober dan');
