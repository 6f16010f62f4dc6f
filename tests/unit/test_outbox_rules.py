"""Pure rules of the outbox worker: its backoff and its SMTP URLs (no database, no server)."""

from __future__ import annotations

from datetime import timedelta

from gql.worker import SmtpTransport, backoff


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(30) == timedelta(hours=1)


def test_smtp_url_forms() -> None:
    starttls = SmtpTransport("smtp://user%40x:p%3Ass@mail.example.com:587?starttls=true", "from@x")
    assert (
        starttls.host,
        starttls.port,
        starttls.username,
        starttls.password,
        starttls.start_tls,
        starttls.use_tls,
    ) == (
        "mail.example.com",
        587,
        "user@x",
        "p:ss",
        True,
        False,
    )
    tls = SmtpTransport("smtps://mail.example.com", "from@x")
    assert (tls.port, tls.use_tls) == (465, True)
