"""Reading what a member's roles grant, in one statement: the roles assigned to it, the roles its
badges carry, and the computed roles its kind of account holds (SocialUser: an approved member
with a linked external identity) (gql/domain/roles.py), each with whether it requires a second
factor (gql/domain/mfa_policy.py)."""

from __future__ import annotations

import uuid
from typing import Any

from gql.db.models import Member
from gql.db.sql import Sql


async def roles_held(member_id: uuid.UUID, authenticated: str, guest: str, social: str) -> list[dict[str, Any]]:
    """``name``, ``permissions``, ``site_permissions``, ``require_mfa`` of every role ``member_id`` holds."""
    sql = Sql()
    member = Member._meta.fields_map["id"].to_db_value(member_id, None)
    true, false = ("1", "0") if sql.sqlite else ("TRUE", "FALSE")
    return await sql.rows(
        f"""
        SELECT r.name, r.permissions, r.site_permissions, r.require_mfa FROM role r
        WHERE r.id IN (SELECT role_id FROM member_role WHERE member_id = {sql.p(1)})
           OR r.id IN (SELECT b.role_id FROM badge b JOIN member_badge mb ON mb.badge_id = b.id
                       WHERE mb.member_id = {sql.p(1)} AND b.role_id IS NOT NULL)
           OR (r.name = {sql.p(2)} AND EXISTS (
                SELECT 1 FROM member m WHERE m.id = {sql.p(1)} AND m.status = 'APPROVED' AND m.is_guest = {false}))
           OR (r.name = {sql.p(3)} AND EXISTS (
                SELECT 1 FROM member m WHERE m.id = {sql.p(1)} AND m.is_guest = {true}))
           OR (r.name = {sql.p(4)} AND EXISTS (
                SELECT 1 FROM member m WHERE m.id = {sql.p(1)} AND m.status = 'APPROVED' AND m.is_guest = {false})
                AND EXISTS (SELECT 1 FROM external_identity ei WHERE ei.member_id = {sql.p(1)}))
        """,
        [member, authenticated, guest, social],
    )
