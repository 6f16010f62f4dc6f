from __future__ import annotations

from tests.conftest import GraphQLClient

REGISTER = """
mutation ($email: String, $password: String!, $options: RegistrationOptions) {
  register(email: $email, password: $password, options: $options) {
    __typename
    ... on RegistrationResult { status approvalToken sessionToken member { id status loginEmail profile { nickname slug } } }
    ... on Error { code message }
  }
}
"""


async def test_register_then_login(gql: GraphQLClient, sql_statements) -> None:
    result = await gql.anonymous(REGISTER, {"email": "alice@example.com", "password": "wonderland"})
    assert result["data"]["register"]["status"] == "ACTIVE", result
    login = await gql.anonymous(
        'mutation { login(identity: "ALICE@example.com", password: "wonderland") { __typename ... on SessionResult { sessionToken } } }'
    )
    assert login["data"]["login"]["__typename"] == "SessionResult"
    token = login["data"]["login"]["sessionToken"]
    me = await gql.member(token, "{ currentMember { loginEmail } }")
    assert me["data"]["currentMember"]["loginEmail"] == "alice@example.com"
    sql_statements.statements.clear()
    await gql.anonymous("{ members(first: 20) { edges { node { id } } } }")
    assert len(sql_statements.selects()) == 1, sql_statements.statements
