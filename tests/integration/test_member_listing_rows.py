"""A members listing reads only the columns it needs (gql/db/columns.py, ``LISTED`` in
gql/domain/members.py): the records it makes must be the records a model instance makes, on
each database, whatever the member holds — or a field a record starts to read would go missing
from listings only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from tortoise.queryset import QuerySet

from gql.db.columns import Columns, Row
from gql.db.models import Contact, Member
from gql.domain import access
from gql.domain.caller import Caller, CallerKind
from gql.domain.cursors import Listing, Position
from gql.domain.members import LISTED
from gql.domain.paging import Keyset, _beyond
from gql.domain.records import MemberRecord, PublicMemberRecord
from gql.domain.services import Services
from gql.domain.statuses import MemberStatus, PrivacyStatus
from gql.domain.visibility import PUBLICLY_VISIBLE, view_for


async def _members() -> None:
    full = await Contact.create(
        first_name="Ann",
        last_name="Ärger",
        phones=[{"phone": "+441234567890", "tag": "MOBILE", "primary": True}],
        emails=[{"email": "ann@example.com", "tag": "MAIN", "primary": True}],
        picture="https://example.com/ann.png",
        custom_fields={"hobby": "chess", "nested": {"a": [1, 2]}},
        addresses=[{"city": "Leeds", "country": "GB", "tag": "HOME"}],
        birthdate=date(1990, 2, 3),
        company="Acme",
        job_title="Engineer",
    )
    await Member.create(
        identity="ann@example.com",
        login_email="ann@example.com",
        email_key="ann@example.com",
        password_hash="not-read-by-listings",
        status=MemberStatus.APPROVED,
        privacy_status=PrivacyStatus.PUBLIC,
        email_verified=True,
        contact=full,
        nickname="Ann",
        nickname_key="ann",
        slug="ann",
        photo="https://example.com/p.png",
        title="Chair",
        mfa_enabled=True,
        last_login_at=datetime(2026, 11, 30, 12, 0, 1, 123456, tzinfo=UTC),
    )
    bare = await Contact.create()
    await Member.create(status=MemberStatus.PENDING, contact=bare, nickname="x", nickname_key="x", slug="x-1")


async def _callers() -> list[Caller]:
    callers = [Caller(CallerKind.BACKEND), Caller(CallerKind.ANONYMOUS)]
    for caller in callers:
        await access.grants_of(caller)  # as list_members does before view_for
    return callers


@pytest.mark.usefixtures("services")
async def test_listed_rows_make_the_records_models_make(services: Services) -> None:
    await _members()
    callers = await _callers()
    models = await Member.all().order_by("created_at", "id").select_related("contact")
    rows = await LISTED.read(Member.all().order_by("created_at", "id"))
    assert [row.id for row in rows] == [model.id for model in models] and len(rows) == 2
    for row, model in zip(rows, models, strict=True):
        assert MemberRecord.of(row) == MemberRecord.of(model)
        assert PublicMemberRecord.of(row) == PublicMemberRecord.of(model)
        for caller in callers:  # the backend sees all; a stranger Ann's public profile, the other not at all
            assert view_for(caller, row) == view_for(caller, model)
        assert row.nickname_key == model.nickname_key and row.pk == model.pk  # the keyset's columns
    backend, stranger = callers
    assert isinstance(view_for(backend, rows[1]), MemberRecord) and view_for(stranger, rows[1]) is None
    assert isinstance(view_for(stranger, rows[0]), PublicMemberRecord)


@pytest.mark.usefixtures("services")
async def test_a_column_not_chosen_is_an_error_not_a_default(services: Services) -> None:
    await _members()
    (row,) = await Columns(Member, ("id", "status"), contact=("first_name",)).read(Member.filter(slug="ann"))
    assert isinstance(row, Row) and row.status is MemberStatus.APPROVED and row.contact.first_name == "Ann"
    assert isinstance(row.id, uuid.UUID)
    for missing in ("password_hash", "login_email"):
        with pytest.raises(AttributeError):
            getattr(row, missing)
    with pytest.raises(AttributeError):
        _ = row.contact.last_name


@pytest.mark.usefixtures("services")
async def test_a_query_shape_is_built_once_and_each_read_keeps_its_own_values(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _members()
    columns = Columns(Member, ("id", "slug"), contact=("first_name",))
    (ann,) = await columns.read(Member.filter(slug="ann"))
    built: list[tuple[str, ...]] = []
    values = QuerySet.values

    def counted(query: QuerySet[Member], *fields: str) -> Any:
        built.append(fields)
        return values(query, *fields)

    monkeypatch.setattr(QuerySet, "values", counted)
    (other,) = await columns.read(Member.filter(slug="x-1"))  # the same shape, another value
    assert built == [] and (ann.slug, other.slug) == ("ann", "x-1") and other.contact.first_name is None
    assert await columns.read(Member.filter(slug="nobody")) == []
    # Another shape (an added filter, another order) is built once, then remembered too.
    for _ in range(2):
        rows = await columns.read(Member.filter(slug__in=["ann", "x-1"], status=MemberStatus.PENDING).order_by("-slug"))
        assert [row.slug for row in rows] == ["x-1"]
    assert len(built) == 1


@pytest.mark.usefixtures("services")
async def test_the_remembered_statement_is_the_one_tortoise_builds(services: Services) -> None:
    """For the listing's own shapes (filters, a cursor's range, each direction), the SQL and
    parameters read are what ``query.values(...)`` would run."""
    await _members()
    position = Position(datetime(2026, 1, 2, tzinfo=UTC), uuid.uuid4())
    forward = _beyond(Keyset("created_at", False, Listing(("members",), datetime)), position, True)
    queries = [
        Member.all().order_by("created_at", "id").limit(21),
        Member.filter(forward).order_by("created_at", "id").limit(3),
        Member.filter(PUBLICLY_VISIBLE, nickname_key__startswith="a_%").order_by("-nickname_key", "-id").limit(5),
        Member.filter(status=MemberStatus.APPROVED, privacy_status=PrivacyStatus.PUBLIC).limit(2),
    ]
    for _ in range(2):  # built, then remembered
        for query in queries:
            chosen = query.using_db(Member._meta.db).values(*LISTED._selected)
            chosen._make_query()
            assert LISTED.statement(query) == chosen.query.get_parameterized_sql()
