"""Create and drop the benchmarks' own MariaDB databases."""
from __future__ import annotations

import os
from urllib.parse import urlparse

MYSQL_URL = os.environ.get("MYSQL_URL", "mysql://root@127.0.0.1:3306")


def mysql_admin(sql: str, server_url: str = MYSQL_URL) -> None:
    """Run one statement (CREATE/DROP DATABASE…) on the server, outside any database."""
    import MySQLdb

    url = urlparse(server_url)
    conn = MySQLdb.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306, user=url.username or "root", passwd=url.password or "")
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()
