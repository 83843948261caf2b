// Cases by customer and state, and a new one.
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQuery } from "urql";
import { useUrlFilters } from "../components/Filters";
import { Time } from "../components/Time";
import { ErrorNotice } from "../errors";
import { graphql, type VariablesOf } from "../graphql";
import { useCan } from "../session";

const CasesQuery = graphql(`
  query Cases($filter: CaseFilter) {
    cases(filter: $filter, first: 200, orderBy: [{ field: OPENED_AT, direction: DESC }]) {
      totalCount
      nodes { id number name status openedAt closedAt socId customer { id name } openedBy { id username } }
    }
    customers(first: 200, orderBy: [{ field: NAME, direction: ASC }]) { nodes { id name } }
  }
`);

const CreateCase = graphql(`
  mutation CreateCase($input: CreateCaseInput!) {
    createCase(input: $input) { id number name }
  }
`);

type Filter = NonNullable<VariablesOf<typeof CasesQuery>["filter"]>;

export function CasesPage() {
  const { params, set } = useUrlFilters();
  const status = params.get("status") ?? "OPEN";
  const customer = params.get("customer") ?? "";
  const all: Filter[] = [];
  if (status === "OPEN" || status === "CLOSED") all.push({ status: { eq: status } });
  if (customer) all.push({ customerId: { eq: customer } });
  const [{ data, error, fetching }] = useQuery({ query: CasesQuery, variables: { filter: { and: all } } });
  const canWrite = useCan("cases:write");
  return (
    <section aria-labelledby="cases-title">
      <h1 id="cases-title">Cases</h1>
      <form className="filters" aria-label="Case filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          State
          <select value={status} onChange={(e) => set("status", e.target.value)}>
            <option value="OPEN">open</option>
            <option value="CLOSED">closed</option>
            <option value="ALL">all</option>
          </select>
        </label>
        <label>
          Customer
          <select value={customer} onChange={(e) => set("customer", e.target.value)}>
            <option value="">all</option>
            {data?.customers.nodes.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNotice error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {data && (
        <table className="grid">
          <caption>{data.cases.totalCount} cases</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Name</th>
              <th scope="col">Customer</th>
              <th scope="col">State</th>
              <th scope="col">Opened</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {data.cases.nodes.map((c) => (
              <tr key={c.id}>
                <td>{c.number}</td>
                <td>
                  <Link to={`/cases/${encodeURIComponent(c.id)}`}>{c.name}</Link>
                </td>
                <td>{c.customer.name}</td>
                <td>{c.status.toLowerCase()}</td>
                <td>
                  <Time at={c.openedAt} />
                </td>
                <td>{c.openedBy?.username ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canWrite && data && <NewCase customers={data.customers.nodes} />}
    </section>
  );
}

function NewCase({ customers }: { customers: readonly { id: string; name: string }[] }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [customerId, setCustomerId] = useState("");
  const [{ fetching, error }, create] = useMutation(CreateCase);
  const navigate = useNavigate();
  return (
    <form
      aria-label="New case"
      className="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await create({ input: { name, description, customerId } });
        if (r.data) navigate(`/cases/${encodeURIComponent(r.data.createCase.id)}`);
      }}
    >
      <h2>New case</h2>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <label>
        Customer
        <select value={customerId} onChange={(e) => setCustomerId(e.target.value)} required>
          <option value="">choose the customer</option>
          {customers.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Description
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={3} />
      </label>
      {customers.length === 0 && (
        <p className="muted">There is no customer yet: cases belong to one, and administrators make them.</p>
      )}
      <ErrorNotice error={error} />
      <button type="submit" disabled={fetching}>
        Open case
      </button>
    </form>
  );
}
