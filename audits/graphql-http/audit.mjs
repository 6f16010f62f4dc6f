// Runs graphql-http's GraphQL-over-HTTP audits (serverAudits) against a running server.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
// Exit status 1 when any audit fails, whether the spec says MUST (an "error") or SHOULD/MAY
// (a "warning"): the server passes every one (docs/graphql-over-http.md).
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}

let errors = 0;
let warnings = 0;
let passes = 0;
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    passes++;
    continue;
  }
  const line = `${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}`;
  if (result.status === 'error') {
    errors++;
    console.log(line);
  } else {
    warnings++;
    console.log(line);
  }
}
console.log(`graphql-http serverAudits: ${passes} ok, ${warnings} warnings, ${errors} errors`);
process.exit(errors || warnings ? 1 : 0);
