// Keyset paging over a connection: the first page comes with the variables; "more"
// asks for the page after the last cursor and appends it.
import { useCallback, useEffect, useRef, useState } from "react";
import { type AnyVariables, type CombinedError, type DocumentInput, useClient } from "urql";

type Page<T> = {
  nodes: readonly T[];
  totalCount?: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

export function usePages<T, D, V extends AnyVariables>(
  query: DocumentInput<D, V>,
  variables: V,
  pick: (data: D) => Page<T> | null | undefined,
  /** Stands for the variables: the list starts again when it changes. */
  key: string,
  /** The variable the cursor goes in: `after`, or `before` for pages from the end. */
  cursorVar: "after" | "before" = "after",
) {
  const client = useClient();
  const [rows, setRows] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [fetching, setFetching] = useState(false);
  const [error, setError] = useState<CombinedError | undefined>();
  const [total, setTotal] = useState<number | undefined>();
  const [generation, setGeneration] = useState(0);
  // The latest variables and picker, read when a page is asked for.
  const latest = useRef({ variables, pick });
  latest.current = { variables, pick };
  // A page that arrives after the list started again is dropped.
  const epoch = useRef(0);

  const load = useCallback(
    async (after: string | null, replace: boolean, at: number) => {
      setFetching(true);
      const { variables: v, pick: p } = latest.current;
      const r = await client
        .query(query, { ...v, [cursorVar]: after } as V, { requestPolicy: "network-only" })
        .toPromise();
      if (at !== epoch.current) return;
      setFetching(false);
      setError(r.error);
      const page = r.data ? p(r.data) : undefined;
      if (!page) return;
      setRows((old) => (replace ? [...page.nodes] : [...old, ...page.nodes]));
      setCursor(page.pageInfo.endCursor);
      setHasMore(page.pageInfo.hasNextPage);
      if (page.totalCount !== undefined) setTotal(page.totalCount);
    },
    [client, query, cursorVar],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` and `generation` say when to start again
  useEffect(() => {
    epoch.current += 1;
    setRows([]);
    setTotal(undefined);
    void load(null, true, epoch.current);
  }, [load, key, generation]);
  return {
    rows,
    total,
    hasMore,
    fetching,
    error,
    loadMore: useCallback(() => {
      if (hasMore && !fetching) void load(cursor, false, epoch.current);
    }, [hasMore, fetching, cursor, load]),
    reload: useCallback(() => setGeneration((g) => g + 1), []),
  };
}

/** What a table shows of a paged list (rows, counts, loading, the next page). */
export function tablePages<T>(p: {
  rows: readonly T[];
  total?: number;
  hasMore: boolean;
  loadMore: () => void;
  fetching: boolean;
}) {
  return { rows: p.rows, total: p.total, hasMore: p.hasMore, loadMore: p.loadMore, fetching: p.fetching };
}
