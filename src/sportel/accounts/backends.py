"""Log in with an email address or a phone number and a password."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection

from sportel.core import prepared

from .normalize import login_identifier


class LoginBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            return None
        return super().authenticate(
            request, username=login_identifier(username), password=password, **kwargs
        )

    def get_user(self, user_id):
        """The signed-in account, on every request: on PostgreSQL one prepared statement (the
        ORM spent more building it than running it, decision 0035); same rule as Django's."""
        if not prepared.enabled():
            return super().get_user(user_id)
        model = get_user_model()
        pk = model._meta.pk.get_prep_value(user_id)  # as the ORM's lookup: ValueError if bad
        q = connection.ops.quote_name
        sql = (
            f"SELECT {prepared.columns(model, 'a')} FROM {q(model._meta.db_table)} a"  # noqa: S608
            f" WHERE a.{q(model._meta.pk.column)} = %s"
        )
        with prepared.cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        user, _end = prepared.instance(model, row)
        return user if self.user_can_authenticate(user) else None
