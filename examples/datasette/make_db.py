"""Builds the small SQLite database the Datasette example ships in its zip.

Run at build time by the example program: python3 make_db.py app/fixtures.db
The content is fixed, so the file (and the archive) is the same on every build.
"""
import sqlite3
import sys

RUNTIMES = [
    ("python3.12", "AL2023", "2028-10-31"),
    ("python3.13", "AL2023", "2029-06-30"),
    ("python3.14", "AL2023", "2029-06-30"),
]
SEEDS = [
    ("hello-url", "HTML hello world behind a public function URL"),
    ("cowsay", "a pure-Python dependency in the function zip"),
    ("flask-layer", "one Flask layer shared by two functions"),
    ("datasette", "Datasette through Mangum with a native SQLite"),
    ("numpy-arm64", "numpy in a layer for an arm64 function"),
]


def main(path: str) -> None:
    db = sqlite3.connect(path)
    db.executescript(
        """
        PRAGMA journal_mode = DELETE;
        DROP TABLE IF EXISTS runtimes;
        DROP TABLE IF EXISTS examples;
        CREATE TABLE runtimes (runtime TEXT PRIMARY KEY, os TEXT NOT NULL, deprecated TEXT NOT NULL);
        CREATE TABLE examples (name TEXT PRIMARY KEY, story TEXT NOT NULL);
        """
    )
    db.executemany("INSERT INTO runtimes VALUES (?, ?, ?)", RUNTIMES)
    db.executemany("INSERT INTO examples VALUES (?, ?)", SEEDS)
    db.commit()
    db.execute("VACUUM")
    db.close()


if __name__ == "__main__":
    main(sys.argv[1])
