"""What Warden stored, read straight from its database (the SQLite file, or the PostgreSQL database with psql), for
tests that check what is at rest rather than what the API answers."""
import sqlite3
import subprocess


def _psql(w, sql):
    return subprocess.run(["psql", w.storage, "-tA", "-c", sql], capture_output=True, text=True, check=True).stdout


def stored_values(w, table, column):
    """Every non-null value of `table.column` as bytes (text as its UTF-8), whichever backend `w` runs on."""
    if w.storage == "sqlite":
        db = sqlite3.connect(f"{w.data_dir}/warden.sqlite")
        try:
            rows = db.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
        finally:
            db.close()
        return [bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for (v,) in rows]
    kind = _psql(w, "SELECT data_type FROM information_schema.columns "
                    f"WHERE table_schema = current_schema() AND table_name = '{table}' AND column_name = '{column}'").strip()
    assert kind, f"no column {table}.{column}"
    value = column if kind == "bytea" else f"convert_to({column}, 'UTF8')"
    # One line per row: a marker, then the value in hex (so an empty value is still a row).
    out = _psql(w, f"SELECT 'x' || encode({value}, 'hex') FROM {table} WHERE {column} IS NOT NULL")
    return [bytes.fromhex(line[1:]) for line in out.splitlines() if line.startswith("x")]
