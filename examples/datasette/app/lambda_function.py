# Datasette (an ASGI app) behind Lambda through Mangum, as in the seed story.
# pysqlite3-binary brings a newer SQLite than the runtime's; Datasette picks
# it up when it is importable.
import os

from datasette.app import Datasette
import mangum

HERE = os.path.dirname(os.path.abspath(__file__))

# /var/task is read-only on Lambda: serve the database as immutable.
ds = Datasette(immutables=[os.path.join(HERE, "fixtures.db")], settings={"sql_time_limit_ms": 3500})
lambda_handler = mangum.Mangum(ds.app(), lifespan="off")
