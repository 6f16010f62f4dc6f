// GraphQL Code Generator (client preset): typed documents for operations/*.graphql, read against
// the server's committed schema. The output, src/gql/, is generated (`npm run codegen`), never
// edited and not committed.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["operations/**/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        // The server's custom scalars as they travel in JSON.
        strictScalars: true,
        scalars: { Date: "string", DateTime: "string", JSON: "unknown" },
        // Enums as string unions: a `switch` over one is checked for exhaustiveness.
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
