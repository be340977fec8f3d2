"""Builds the small SQLite database the Datasette example ships in its zip.

Run at build time by the example program: python3 make_db.py app/fixtures.db
The content is fixed, and the file is written fresh into a temporary file and
moved into place only when its bytes differ, so repeated runs leave it (and the
archive, and its sourceCodeHash) untouched. Rewriting a database in place would
not do: SQLite's header counts changes, so every run would give new bytes.
"""
import os
import sqlite3
import sys
import tempfile

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


def write(path: str) -> None:
    db = sqlite3.connect(path)
    db.executescript(
        """
        PRAGMA journal_mode = DELETE;
        CREATE TABLE runtimes (runtime TEXT PRIMARY KEY, os TEXT NOT NULL, deprecated TEXT NOT NULL);
        CREATE TABLE examples (name TEXT PRIMARY KEY, story TEXT NOT NULL);
        """
    )
    db.executemany("INSERT INTO runtimes VALUES (?, ?, ?)", RUNTIMES)
    db.executemany("INSERT INTO examples VALUES (?, ?)", SEEDS)
    db.commit()
    db.execute("VACUUM")
    db.close()


def main(path: str) -> None:
    fd, fresh = tempfile.mkstemp(prefix=".fixtures-", suffix=".db", dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    os.unlink(fresh)  # sqlite3 creates it
    try:
        write(fresh)
        with open(fresh, "rb") as f:
            new = f.read()
        try:
            with open(path, "rb") as f:
                if f.read() == new:
                    return
        except FileNotFoundError:
            pass
        os.chmod(fresh, 0o644)
        os.replace(fresh, path)
    finally:
        if os.path.exists(fresh):
            os.unlink(fresh)


if __name__ == "__main__":
    main(sys.argv[1])
