"""Django's database sessions, read through a prepared statement on PostgreSQL.

Every signed-in request reads its session row; the ORM spent more CPU building that one
statement than PostgreSQL spends running it (decision 0035). Same table, same expiry rule, same
answer (no row, or an expired one: a new, empty session); writes are Django's own.
"""

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from sportel.core import prepared


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        if not prepared.enabled():
            return super()._get_session_from_db()
        q = connection.ops.quote_name
        sql = (
            f"SELECT {q('session_data')} FROM {q(self.model._meta.db_table)}"  # noqa: S608
            f" WHERE {q('session_key')} = %s AND {q('expire_date')} > %s"
        )
        with prepared.cursor() as cursor:
            cursor.execute(sql, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])
