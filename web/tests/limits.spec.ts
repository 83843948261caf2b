// Every operation the app sends fits the server's limits (depth, cost, aliases,
// directives) by construction: each is read from the app's source, given placeholder
// variables of its declared types (page sizes are written in the documents, so the
// cost measured is the cost the app pays; `@include` flags are true, the largest
// shape), and sent to the real server as an administrator. Any error about the
// document itself fails; errors about the placeholder values (NOT_FOUND, bad input)
// are what they should be. Subscriptions are checked by the live alert test.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  type ASTNode,
  buildSchema,
  type FragmentDefinitionNode,
  type GraphQLInputType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  typeFromAST,
  visit,
} from "graphql";
import { expect, password, test } from "./fixtures";

const schema = buildSchema(readFileSync("../schema.graphql", "utf8"));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|tsx)$/.test(f) && !f.endsWith(".d.ts") && !f.endsWith(".test.ts") ? [p] : [];
  });
}

const documents = [...sources("src"), ...sources("explorer")].flatMap((file) =>
  [...readFileSync(file, "utf8").matchAll(/graphql\(`([^`]*)`/g)].map((m) => ({ file, text: m[1] })),
);

const scalars: Record<string, unknown> = {
  ID: "placeholder",
  String: "x",
  Int: 1,
  Float: 1,
  Boolean: true,
  IpAddr: "192.0.2.1",
  Cidr: "192.0.2.0/24",
  MacAddr: "00:00:5e:00:53:01",
  DateTime: "2026-01-01T00:00:00Z",
  Instant: "2026-01-01T00:00:00Z",
  JSON: {},
};

function placeholder(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return placeholder(type.ofType);
  if (isListType(type)) return [];
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isScalarType(type)) return scalars[type.name] ?? null;
  if (isInputObjectType(type))
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
        .map((f) => [f.name, placeholder(f.type)]),
    );
  return null;
}

const definitions = documents.flatMap(({ file, text }) => parse(text).definitions.map((d) => ({ file, d })));
const operations = definitions.flatMap(({ file, d }) =>
  d.kind === Kind.OPERATION_DEFINITION ? [{ file, op: d as OperationDefinitionNode }] : [],
);
// Fragments are documents of their own (gql.tada passes them along): an operation is
// sent with those it spreads, as the app sends it.
const fragments = new Map(
  definitions.flatMap(({ d }) =>
    d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d as FragmentDefinitionNode] as const] : [],
  ),
);
function withFragments(op: OperationDefinitionNode): string {
  const used = new Map<string, FragmentDefinitionNode>();
  const walk = (node: ASTNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const f = fragments.get(spread.name.value);
        if (f && !used.has(f.name.value)) {
          used.set(f.name.value, f);
          walk(f);
        }
      },
    });
  walk(op);
  return [op, ...used.values()].map((d) => print(d)).join("\n");
}

// Operations that would end the session or spend sign-in attempts are measured as
// documents alone (they are tiny): signing in and out are tested in app.spec.ts.
const skipped = new Set(["Login", "Logout"]);
const refusedDocument = new Set(["QUERY_TOO_COMPLEX", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"]);

test("every operation of the app fits the server's limits", async ({ playwright, baseURL }) => {
  expect(operations.length).toBeGreaterThan(20);
  const ctx = await playwright.request.newContext({
    baseURL,
    extraHTTPHeaders: { Origin: baseURL as string },
  });
  const login = await ctx.post("/graphql", {
    data: { query: `mutation { login(username: "admin", password: "${password("admin")}") { id } }` },
  });
  expect(login.ok()).toBe(true);
  const problems: string[] = [];
  for (const { file, op } of operations) {
    if (op.operation === "subscription" || skipped.has(op.name?.value ?? "")) continue;
    const variables: Record<string, unknown> = {};
    const files: Record<string, string[]> = {};
    for (const v of op.variableDefinitions ?? []) {
      const type = typeFromAST(schema, v.type) as GraphQLInputType;
      const name = v.variable.name.value;
      const named = isNonNullType(type) ? type.ofType : type;
      if (isScalarType(named) && named.name === "Upload") {
        variables[name] = null;
        files[String(Object.keys(files).length)] = [`variables.${name}`];
      } else variables[name] = placeholder(type);
    }
    const query = withFragments(op);
    const response = Object.keys(files).length
      ? await ctx.post("/graphql", {
          multipart: {
            operations: JSON.stringify({ query, variables }),
            map: JSON.stringify(files),
            ...Object.fromEntries(
              Object.keys(files).map((k) => [
                k,
                { name: "empty.txt", mimeType: "text/plain", buffer: Buffer.from("") },
              ]),
            ),
          },
        })
      : await ctx.post("/graphql", { data: { query, variables } });
    const body = await response.json();
    for (const e of body.errors ?? []) {
      const code = String(e.extensions?.code ?? "");
      if (refusedDocument.has(code) || /too (deep|complex)|alias|directive/i.test(e.message))
        problems.push(`${op.name?.value} (${file}): ${code} ${e.message}`);
    }
  }
  await ctx.dispose();
  expect(problems).toEqual([]);
});
