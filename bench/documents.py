"""The GraphQL documents the benchmark sends, and checks of their answers.

Every answer is checked: a benchmark that times error responses measures nothing.
"""

from __future__ import annotations

from typing import Any

MEMBER_FIELDS = """
    id profile { nickname slug }
    ... on Member { loginEmail status privacyStatus createdDate contact { firstName lastName customFields } }
"""

MEMBERS = f"""
query Members($first: Int!, $after: String, $sort: MemberSort, $filter: MemberFilter) {{
  members(first: $first, after: $after, sort: $sort, filter: $filter) {{
    edges {{ cursor node {{ {MEMBER_FIELDS} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

MEMBER = f"""
query Member($id: ID!) {{ member(id: $id) {{ {MEMBER_FIELDS} }} }}
"""

# What every page of a site asks (issue 18): who is signed in, and with which roles.
CURRENT_MEMBER = "query { currentMember { id loginEmail roles { name } } }"

REGISTER = """
mutation Register($email: String!, $password: String!, $options: RegistrationOptions) {
  register(email: $email, password: $password, options: $options) {
    __typename
    ... on RegisterPayload { status sessionToken member { id } }
    ... on Error { code message }
  }
}
"""

LOGIN = """
mutation Login($identity: String!, $password: String!) {
  login(identity: $identity, password: $password) {
    __typename
    ... on SessionPayload { sessionToken member { id } }
    ... on Error { code message }
  }
}
"""


def register_variables(email: str, password: str, public: bool = False, last_name: str | None = None) -> dict[str, Any]:
    # A distinct name per email by default: the profile slug derives from it, and a taken
    # slug makes the product retry the whole insert (measured on its own in figure 4).
    last_name = last_name or email.partition("@")[0]
    contact = {"firstName": "Bench", "lastName": last_name, "customFields": {"hobby": "Running"}}
    return {
        "email": email,
        "password": password,
        "options": {"contactInfo": contact, "privacyStatus": "PUBLIC" if public else "PRIVATE"},
    }


class BadAnswer(RuntimeError):
    """The server answered, but not with what the benchmark asked for."""


def data(answer: dict[str, Any], field: str) -> Any:
    if answer.get("errors"):
        raise BadAnswer(f"{field}: {answer['errors']}")
    value = (answer.get("data") or {}).get(field)
    if value is None:
        raise BadAnswer(f"{field}: no data in {answer}")
    return value


def members_page(answer: dict[str, Any], expected_rows: int) -> dict[str, Any]:
    page = data(answer, "members")
    if len(page["edges"]) != expected_rows:
        raise BadAnswer(f"members: {len(page['edges'])} rows, expected {expected_rows}")
    return page


def without_cursors(page: dict[str, Any]) -> dict[str, Any]:
    """A members page with its cursors blanked: they are encrypted afresh in every answer."""
    edges = [{**edge, "cursor": bool(edge.get("cursor"))} for edge in page["edges"]]
    page_info = {**page["pageInfo"], "endCursor": bool(page["pageInfo"].get("endCursor"))}
    return {**page, "edges": edges, "pageInfo": page_info}


def success(answer: dict[str, Any], field: str, typename: str) -> dict[str, Any]:
    value = data(answer, field)
    if value.get("__typename") != typename:
        raise BadAnswer(f"{field}: {value}")
    return value
