// One urql client: a normalised cache (objects by their global ID), HTTP for queries
// and mutations (the session cookie goes with them; uploads as multipart requests),
// and subscriptions over `/graphql/ws` in the graphql-transport-ws protocol.
import { cacheExchange } from "@urql/exchange-graphcache";
import { createClient as createWsClient } from "graphql-ws";
import { Client, type CombinedError, fetchExchange, mapExchange, subscriptionExchange } from "urql";

export type WsState = "connecting" | "live" | "closed";
const wsListeners = new Set<(s: WsState) => void>();
let wsState: WsState = "closed";
function setWsState(s: WsState) {
  wsState = s;
  for (const l of wsListeners) l(s);
}
/** Follows the live connection's state (for the "live" badge). */
export function onWsState(listener: (s: WsState) => void): () => void {
  wsListeners.add(listener);
  listener(wsState);
  return () => wsListeners.delete(listener);
}

export const wsClient = createWsClient({
  url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql/ws`,
  lazy: true,
  // Reconnects after a dropped connection; the alerts page resumes from the last ID it saw.
  retryAttempts: Number.POSITIVE_INFINITY,
  shouldRetry: () => true,
  retryWait: async (retries) => {
    await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** retries, 10_000)));
  },
  on: {
    connecting: () => setWsState("connecting"),
    connected: () => setWsState("live"),
    closed: () => setWsState("closed"),
  },
});

// Objects without an ID of their own are embedded in their parent.
const embedded = () => null;
const keys = Object.fromEntries(
  [
    "PageInfo",
    "GroupCount",
    "Bucket",
    "ScriptResult",
    "HostScript",
    "OsMatch",
    "PortSighting",
    "TraceHop",
    "GeoInfo",
    "ImportSummary",
    "ImportCount",
    "SkipReason",
    "BadRecord",
    "NoteRevision",
    "AlertUpdate",
    "IpdrRecord",
    "CreatedApiToken",
    "HostAggregate",
    "AlertAggregate",
    "FlowAggregate",
    "CaseAggregate",
    "AuditEventAggregate",
    "ImportAggregate",
    "SystemInfo",
    "HostEdge",
    "AlertEdge",
    "FlowEdge",
  ].map((t) => [t, embedded]),
);

export function makeClient(): Client {
  return new Client({
    url: "/graphql",
    fetchOptions: { credentials: "same-origin" },
    // Pages ask again on every visit and show what the cache has meanwhile.
    requestPolicy: "cache-and-network",
    exchanges: [
      mapExchange({
        onError(error) {
          if (codes(error).includes("UNAUTHENTICATED")) for (const l of signedOutListeners) l();
        },
      }),
      cacheExchange({ keys }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = wsClient.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}

/** The `extensions.code` of each GraphQL error in `error`. */
export function codes(error: CombinedError | undefined): string[] {
  return (error?.graphQLErrors ?? []).map((e) => String(e.extensions?.code ?? ""));
}

const signedOutListeners = new Set<() => void>();
/** Called when the server says the request had no valid session (it ended, or was revoked). */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}
