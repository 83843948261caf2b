// The offline GraphQL explorer: GraphiQL bundled with its editor's workers, on the
// signed-in user's session cookie (or a token pasted into its headers), with
// subscriptions over `/graphql/ws`.
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import "./explorer.css";
import { createGraphiQLFetcher, type Fetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { parse } from "graphql";
import { createClient } from "graphql-ws";
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql/ws`;

const toolkitFetcher = createGraphiQLFetcher({
  url: "/graphql",
  wsClient: createClient({ url: wsUrl, lazy: true }),
});

// The toolkit sends an operation over the WebSocket when the editor's parsed document
// says it is a subscription; the editor parses after a pause, so an operation run at
// once would go over HTTP (which refuses subscriptions). Parse what is sent instead.
const fetcher: Fetcher = (params, options) => {
  let documentAST = options?.documentAST;
  try {
    documentAST = parse(params.query);
  } catch {
    // Not a document: the server says what is wrong with it.
  }
  return toolkitFetcher(params, { ...options, documentAST });
};

const defaultQuery = `# Pivot's GraphQL explorer: the documentation is in the book icon on the left.
# This page uses your signed-in session; to act as an API token, add the header
# {"Authorization": "Bearer pvt_…"} below.
{
  me { username role }
  hosts(first: 5) { totalCount nodes { ip hostnames openPortCount } }
}
`;

// Says who the explorer acts as, or that it acts as nobody until a session or a
// token is there.
function Explorer() {
  const [who, setWho] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    fetch("/graphql?query=%7Bme%7Busername%7D%7D", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((b) => setWho(b?.data?.me?.username ?? null))
      .catch(() => setWho(null));
  }, []);
  return (
    <div className="explorer">
      <p className="explorer-bar" role="status">
        <a href="/">Pivot</a>{" "}
        {who === undefined
          ? ""
          : who
            ? `Signed in as ${who}: queries run with your session.`
            : "Not signed in: sign in to Pivot first, or add an Authorization header (Bearer token) below."}
      </p>
      <GraphiQL fetcher={fetcher} defaultQuery={defaultQuery} />
    </div>
  );
}

const root = document.getElementById("graphiql");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <Explorer />
    </StrictMode>,
  );
}
