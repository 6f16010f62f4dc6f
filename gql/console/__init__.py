"""The admin console at /console: the site owner's pages for members, approvals, roles, badges,
settings and keys (gql/console/pages.py), server-rendered, calling the same GraphQL API."""
