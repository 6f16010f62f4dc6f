"""Prepared SELECTs (gql/db/prepared.py) answer what the querysets they replace answer, on each database.

The hot reads — a member with its contact by id, identity or email key; a live session by its
token hash or id, with its member — are built by Tortoise once and run with new values. What
must hold: the same rows and the same model instances (the ``select_related`` one included)
as the queryset, inside a transaction as outside, with the session rule (expiry, the member's
status and confirmation) still applied; and a declaration that cannot be prepared fails at
its first use instead of answering something else.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from gql.db.models import Contact, ExternalIdentity, Member, MemberRole, Role, Session
from gql.db.prepared import Prepared
from gql.domain.lookup import member_with_contact
from gql.domain.permissions import BuiltInRole
from gql.domain.roles import roles_of_members
from gql.domain.services import Services
from gql.domain.sessions import live_session, live_session_by_id, token_hash
from gql.domain.statuses import MemberStatus
from tests.conftest import GraphQLClient
from tests.integration.documents import LOGIN, REGISTER

PASSWORD = "correct horse battery"


def _columns(row: Model | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {name: getattr(row, name) for name in row._meta.fields_db_projection}


async def _register(gql: GraphQLClient, email: str) -> tuple[str, str]:
    answer = await gql.anonymous(REGISTER, {"email": email, "password": PASSWORD})
    answer = answer["data"]["register"]
    assert answer["__typename"] == "RegisterPayload", answer
    return answer["member"]["id"], answer["sessionToken"]


async def test_a_member_with_its_contact_is_what_the_queryset_finds(gql: GraphQLClient) -> None:
    first, _ = await _register(gql, "ann@example.com")
    second, _ = await _register(gql, "bob@example.com")
    for member_id in (first, second):
        expected = await Member.filter(id=member_id).select_related("contact").first()
        for column, value in (("id", expected.id), ("identity", expected.identity), ("email_key", expected.email_key)):
            found = await member_with_contact(column, value)
            assert _columns(found) == _columns(expected)
            assert isinstance(found.contact, Contact)
            assert _columns(found.contact) == _columns(expected.contact)
    assert await member_with_contact("identity", "nobody@example.com") is None
    # Inside a transaction it reads through the transaction's connection: its own uncommitted change.
    async with in_transaction() as connection:
        await Member.filter(id=first).using_db(connection).update(nickname="changed-in-transaction")
        seen = await member_with_contact("id", first, connection)
        assert seen is not None and seen.nickname == "changed-in-transaction"
        await connection.rollback()
    after = await member_with_contact("id", first)
    assert after is not None and after.nickname != "changed-in-transaction"


async def test_a_live_session_is_what_the_queryset_finds_and_the_rule_still_applies(
    gql: GraphQLClient, services: Services
) -> None:
    member_id, token = await _register(gql, "cid@example.com")
    row = await Session.get(token_hash=token_hash(token))
    for with_member in (False, True):
        by_token = await live_session(services, token, with_member=with_member)
        by_id = await live_session_by_id(services, row.id, with_member=with_member)
        assert _columns(by_token) == _columns(by_id) == _columns(row)
    joined = await live_session(services, token, with_member=True)
    assert joined is not None and _columns(joined.member) == _columns(await Member.get(id=member_id))
    # Expired: not live.
    await Session.filter(id=row.id).update(expires_at=services.clock.now() - timedelta(seconds=1))
    assert await live_session(services, token) is None
    await Session.filter(id=row.id).update(expires_at=services.clock.now() + timedelta(hours=1))
    assert await live_session(services, token) is not None
    # A member that may not hold a session (blocked): its sessions are dead.
    await Member.filter(id=member_id).update(status="BLOCKED")
    assert await live_session(services, token, with_member=True) is None
    assert await live_session_by_id(services, row.id) is None


async def test_a_declaration_that_cannot_be_prepared_fails_at_its_first_use(gql: GraphQLClient) -> None:
    member_id, _ = await _register(gql, "dee@example.com")
    # The argument is never put in the statement: preparing must refuse, not answer every row.
    ignoring = Prepared(Member, lambda value: Member.all().limit(1), value="id")
    with pytest.raises(TypeError, match="not one of the statement's parameters"):
        await ignoring.first(value=member_id)
    # None would mean "IS NULL" to the builder and "= NULL" to the prepared SQL: refused.
    by_email = Prepared(Member, lambda value: Member.filter(Q(email_key=value)).limit(1), value="email_key")
    with pytest.raises(TypeError, match="is None"):
        await by_email.first(value=None)
    found = await by_email.first(value="dee@example.com")
    assert found is not None and str(found.id) == member_id


async def test_one_members_roles_are_those_it_has_among_many(gql: GraphQLClient, services: Services) -> None:
    """A single member's roles come from the prepared statements, several members' from the
    querysets: both must give each member the same roles (assigned, computed, social)."""
    plain, _ = await _register(gql, "eve@example.com")
    social, _ = await _register(gql, "fay@example.com")
    assigned, _ = await _register(gql, "gus@example.com")
    now = services.clock.now()
    await ExternalIdentity.create(member_id=social, provider="test", subject="fay", linked_at=now)
    editors = await Role.create(name="Editors", name_key="editors", title="Editors", created_at=now, updated_at=now)
    await MemberRole.create(member_id=assigned, role=editors, created_at=now)
    await Member.filter(id=plain).update(status=MemberStatus.GUEST.value)
    members = [(row.id, MemberStatus(row.status)) for row in await Member.filter(id__in=[plain, social, assigned])]
    together = await roles_of_members(members)
    names = {member_id: [role.name for role in held] for member_id, held in together.items()}
    assert names == {
        uuid.UUID(plain): [BuiltInRole.GUEST_USER.value],
        uuid.UUID(social): [BuiltInRole.AUTHENTICATED_USER.value, BuiltInRole.SOCIAL_USER.value],
        uuid.UUID(assigned): [BuiltInRole.AUTHENTICATED_USER.value, "Editors"],
    }
    for member in members:
        alone = await roles_of_members([member])
        assert alone[member[0]] == together[member[0]]


async def test_a_value_longer_than_its_column_names_no_member(gql: GraphQLClient) -> None:
    await _register(gql, "hal@example.com")
    assert await member_with_contact("identity", "a" * 5000) is None
    assert await member_with_contact("email_key", "b" * 400 + "@example.com") is None
    # A login with such an identity is a wrong login (3003), as any unknown identity is.
    answer = await gql.anonymous(LOGIN, {"identity": "a" * 5000, "password": PASSWORD})
    assert answer["data"]["login"]["__typename"] == "InvalidCredentialsError", answer
