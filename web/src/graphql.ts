// Operations are written with `graphql(...)` and typed from `../schema.graphql`
// (src/graphql-env.d.ts, generated before every check and build): a schema change that
// breaks an operation fails `npm run check`.
import { initGraphQLTada } from "gql.tada";
import type { introspection } from "./graphql-env.d.ts";

export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: {
    DateTime: string;
    Instant: string;
    IpAddr: string;
    Cidr: string;
    MacAddr: string;
    JSON: unknown;
    Upload: File;
  };
}>();

export type { FragmentOf, ResultOf, VariablesOf } from "gql.tada";
export { readFragment } from "gql.tada";
