// Administration: users (role, grants, customer limits, deactivation), API tokens
// (shown once, revocable), customers, and the audit log. Only administrators see the
// link; the server refuses everyone else whatever the page does.
import { useState } from "react";
import { NavLink, Route, Routes } from "react-router";
import { useMutation, useQuery } from "urql";
import { Table } from "../components/Table";
import { Time } from "../components/Time";
import { ErrorNotice } from "../errors";
import { graphql, type ResultOf } from "../graphql";
import { tablePages, usePages } from "../paging";

const Users = graphql(`
  query Users {
    users(first: 500) {
      nodes { id username displayName email role active capabilities customers { id name } ipdrContexts }
    }
    customers(first: 500, orderBy: [{ field: NAME, direction: ASC }]) { nodes { id name description } }
  }
`);

const CreateUser = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) { id username role active }
  }
`);

const UpdateUser = graphql(`
  mutation UpdateUser($id: ID!, $input: UserInput!) {
    updateUser(id: $id, input: $input) { id role active capabilities customers { id name } }
  }
`);

const Tokens = graphql(`
  query Tokens { apiTokens { id name createdAt expiresAt revokedAt } }
`);

const CreateToken = graphql(`
  mutation CreateToken($name: String!) {
    createApiToken(name: $name) { token apiToken { id name createdAt } }
  }
`);

const RevokeToken = graphql(`
  mutation RevokeToken($id: ID!) { revokeApiToken(id: $id) { id revokedAt } }
`);

const CreateCustomer = graphql(`
  mutation CreateCustomer($name: String!, $input: CustomerInput) {
    createCustomer(name: $name, input: $input) { id name }
  }
`);

const Audit = graphql(`
  query Audit($filter: AuditEventFilter, $before: String) {
    auditEvents(filter: $filter, last: 200, before: $before) {
      totalCount
      pageInfo { hasPreviousPage startCursor }
      nodes { id at action objectType objectId address user { id username } }
    }
  }
`);

const ROLES = ["ADMIN", "ANALYST", "VIEWER"] as const;
type Role = (typeof ROLES)[number];

export function AdminPage() {
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Administration</h1>
      <nav aria-label="Administration" className="tabs">
        <NavLink to="/admin" end>
          Users
        </NavLink>
        <NavLink to="/admin/tokens">API tokens</NavLink>
        <NavLink to="/admin/customers">Customers</NavLink>
        <NavLink to="/admin/audit">Audit log</NavLink>
      </nav>
      <Routes>
        <Route index element={<UsersTab />} />
        <Route path="tokens" element={<TokensTab />} />
        <Route path="customers" element={<CustomersTab />} />
        <Route path="audit" element={<AuditTab />} />
      </Routes>
    </section>
  );
}

type UserRow = ResultOf<typeof Users>["users"]["nodes"][number];

function UsersTab() {
  const [{ data, error }, refetch] = useQuery({ query: Users });
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("ANALYST");
  const [created, create] = useMutation(CreateUser);
  const reload = () => refetch({ requestPolicy: "network-only" });
  return (
    <>
      <ErrorNotice error={error} />
      <table className="grid">
        <caption>Users</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            <th scope="col">Extra grants</th>
            <th scope="col">Limited to customers</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {data?.users.nodes.map((u) => (
            <UserRowView key={u.id} u={u} customers={data.customers.nodes} onSaved={reload} />
          ))}
        </tbody>
      </table>
      <form
        aria-label="New user"
        className="inline"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await create({ input: { username, password, role } });
          if (!r.error) {
            setUsername("");
            setPassword("");
            reload();
          }
        }}
      >
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="off" />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoComplete="new-password"
          />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={created.fetching}>
          Add user
        </button>
        <ErrorNotice error={created.error} />
      </form>
    </>
  );
}

function UserRowView({
  u,
  customers,
  onSaved,
}: {
  u: UserRow;
  customers: readonly { id: string; name: string }[];
  onSaved: () => void;
}) {
  const [{ error, fetching }, update] = useMutation(UpdateUser);
  const [grants, setGrants] = useState(u.capabilities.join(", "));
  const save = async (input: Parameters<typeof update>[0]["input"]) => {
    const r = await update({ id: u.id, input });
    if (!r.error) onSaved();
  };
  return (
    <tr>
      <td>
        {u.username} {u.displayName && <span className="muted">{u.displayName}</span>}
      </td>
      <td>
        <select
          aria-label={`Role of ${u.username}`}
          value={u.role.toUpperCase()}
          disabled={fetching}
          onChange={(e) => save({ role: e.target.value as Role })}
        >
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </td>
      <td>
        <input
          aria-label={`Extra grants of ${u.username}`}
          value={grants}
          placeholder="data:read, ipdr:write"
          onChange={(e) => setGrants(e.target.value)}
          onBlur={() => {
            const list = grants
              .split(",")
              .map((g) => g.trim())
              .filter(Boolean);
            if (list.join(",") !== u.capabilities.join(",")) void save({ capabilities: list });
          }}
        />
      </td>
      <td>
        <select
          aria-label={`Customers of ${u.username}`}
          multiple
          value={u.customers.map((c) => c.id)}
          onChange={(e) => save({ customerIds: [...e.target.selectedOptions].map((o) => o.value) })}
        >
          {customers.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </td>
      <td>
        <button type="button" disabled={fetching} onClick={() => save({ active: !u.active })}>
          {u.active ? "Deactivate" : "Activate"}
        </button>
        <ErrorNotice error={error} />
      </td>
    </tr>
  );
}

function TokensTab() {
  const [{ data, error }, refetch] = useQuery({ query: Tokens });
  const [name, setName] = useState("");
  const [shown, setShown] = useState<string | null>(null);
  const [created, create] = useMutation(CreateToken);
  const [revoked, revoke] = useMutation(RevokeToken);
  const reload = () => refetch({ requestPolicy: "network-only" });
  return (
    <>
      <p className="muted">Your own API tokens. A token is shown once, when it is made: copy it then.</p>
      <ErrorNotice error={error ?? revoked.error} />
      <ul className="plain">
        {data?.apiTokens.map((t) => (
          <li key={t.id}>
            {t.name}{" "}
            <span className="muted">
              made <Time at={t.createdAt} />
            </span>{" "}
            {t.revokedAt ? (
              <span className="muted">
                revoked <Time at={t.revokedAt} />
              </span>
            ) : (
              <button
                type="button"
                onClick={async () => {
                  await revoke({ id: t.id });
                  reload();
                }}
              >
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
      <form
        aria-label="New API token"
        className="inline"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await create({ name });
          if (r.data) {
            setShown(r.data.createApiToken.token);
            setName("");
            reload();
          }
        }}
      >
        <label>
          What it is for
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <button type="submit" disabled={created.fetching}>
          Make a token
        </button>
        <ErrorNotice error={created.error} />
      </form>
      {shown && (
        <p role="status" className="secret">
          Your new token (it will not be shown again): <code>{shown}</code>
        </p>
      )}
    </>
  );
}

function CustomersTab() {
  const [{ data, error }, refetch] = useQuery({ query: Users });
  const [name, setName] = useState("");
  const [created, create] = useMutation(CreateCustomer);
  return (
    <>
      <ErrorNotice error={error} />
      <ul className="plain">
        {data?.customers.nodes.map((c) => (
          <li key={c.id}>
            {c.name} {c.description && <span className="muted">{c.description}</span>}
          </li>
        ))}
      </ul>
      <form
        aria-label="New customer"
        className="inline"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await create({ name });
          if (!r.error) {
            setName("");
            refetch({ requestPolicy: "network-only" });
          }
        }}
      >
        <label>
          Customer
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <button type="submit" disabled={created.fetching}>
          Add customer
        </button>
        <ErrorNotice error={created.error} />
      </form>
    </>
  );
}

type AuditRow = ResultOf<typeof Audit>["auditEvents"]["nodes"][number];

function AuditTab() {
  const [action, setAction] = useState("");
  const [objectType, setObjectType] = useState("");
  const all = [];
  if (action) all.push({ action: { eq: action } });
  if (objectType) all.push({ objectType: { eq: objectType } });
  const filter = { and: all };
  // The newest first: pages come from the end (`last`/`before`).
  const pages = usePages(
    Audit,
    { filter, before: null },
    (d) => ({
      nodes: [...d.auditEvents.nodes].reverse(),
      totalCount: d.auditEvents.totalCount,
      pageInfo: {
        hasNextPage: d.auditEvents.pageInfo.hasPreviousPage,
        endCursor: d.auditEvents.pageInfo.startCursor,
      },
    }),
    JSON.stringify(filter),
    "before",
  );
  return (
    <>
      <form className="filters" aria-label="Audit filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Action
          <input
            value={action}
            onChange={(e) => setAction(e.target.value.trim())}
            placeholder="createCase, login, loginFailed…"
          />
        </label>
        <label>
          Object type
          <input
            value={objectType}
            onChange={(e) => setObjectType(e.target.value.trim())}
            placeholder="Case, User…"
          />
        </label>
      </form>
      <ErrorNotice error={pages.error} />
      <Table<AuditRow>
        label="Audit log"
        {...tablePages(pages)}
        rowKey={(e) => e.id}
        columns={[
          { header: "When", cell: (e) => <Time at={e.at} />, width: "11rem" },
          { header: "Who", cell: (e) => e.user?.username ?? "—", width: "8rem" },
          { header: "Action", cell: (e) => e.action, width: "10rem" },
          { header: "Object", cell: (e) => `${e.objectType ?? ""} ${e.objectId ?? ""}` },
          { header: "From", cell: (e) => e.address ?? "", width: "9rem" },
        ]}
      />
    </>
  );
}
