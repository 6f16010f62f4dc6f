// GraphQL Code Generator: typed documents for operations/*.graphql from the committed schema.
// The output (src/gql/) is generated, never edited and never committed. MEMBERS_SCHEMA points
// at another schema file (the pytest module uses it to prove a breaking schema fails the build).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: process.env.MEMBERS_SCHEMA ?? "../../schema.graphql",
  documents: ["operations/**/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        strictScalars: true,
        scalars: { Date: "string", DateTime: "string", JSON: "unknown" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
