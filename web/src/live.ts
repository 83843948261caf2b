// Alerts as they commit, over `/graphql/ws`, resuming after a dropped connection from
// the last alert received (`after`), so none is missed and none shown twice.
import type { ExecutionResult } from "graphql";
import { print } from "graphql";
import { useEffect, useRef, useState } from "react";
import { onWsState, type WsState, wsClient } from "./client";
import { graphql, type ResultOf, type VariablesOf } from "./graphql";

export const AlertCreated = graphql(`
  subscription AlertCreated($filter: AlertFilter, $after: ID) {
    alertCreated(filter: $filter, after: $after) {
      id kind type title severity sensor srcIp dstIp srcPort dstPort occurredAt acknowledged
    }
  }
`);

export type LiveAlert = ResultOf<typeof AlertCreated>["alertCreated"];

export function useLiveAlerts(
  filter: VariablesOf<typeof AlertCreated>["filter"],
  /** The newest alert already shown (null: none); undefined until the first page is in. */
  after: string | null | undefined,
  onAlert: (a: LiveAlert) => void,
): WsState {
  const [state, setState] = useState<WsState>("connecting");
  const handler = useRef(onAlert);
  handler.current = onAlert;
  const key = JSON.stringify(filter);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the filter
  useEffect(() => {
    if (after === undefined) return;
    let stopped = false;
    let dispose = () => {};
    // graphql-ws sends this same payload again when it reconnects: keeping `after` up
    // to date in it is what makes a reconnection resume where the page left off.
    const payload = { query: print(AlertCreated), variables: { filter, after } };
    const follow = () => {
      dispose = wsClient.subscribe<ResultOf<typeof AlertCreated>>(payload, {
        next: (r: ExecutionResult<ResultOf<typeof AlertCreated>>) => {
          const a = r.data?.alertCreated;
          if (a) {
            payload.variables.after = a.id;
            handler.current(a);
          }
          const overflow = r.errors?.find((e) => e.extensions?.code === "OVERFLOW");
          const resume = overflow?.extensions?.resumeAfter;
          if (typeof resume === "string") payload.variables.after = resume;
        },
        // A refused or overflowing subscription ends: follow again shortly, from `after`.
        error: () => {
          if (!stopped) setTimeout(() => !stopped && follow(), 2000);
        },
        complete: () => {
          if (!stopped) setTimeout(() => !stopped && follow(), 2000);
        },
      });
    };
    follow();
    const unlisten = onWsState(setState);
    return () => {
      stopped = true;
      unlisten();
      dispose();
    };
  }, [key, after === undefined]);
  return state;
}
