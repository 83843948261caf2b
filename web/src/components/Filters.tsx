// Filters kept in the URL (so a filtered page can be linked, reloaded and gone back to),
// and the time range every time-ordered list offers.
import { useCallback } from "react";
import { useSearchParams } from "react-router";

/** The page's search parameters, and a setter that drops a parameter set to "". */
export function useUrlFilters(onChange?: () => void) {
  const [params, setParams] = useSearchParams();
  const set = useCallback(
    (name: string, value: string) => {
      const next = new URLSearchParams(params);
      if (value) next.set(name, value);
      else next.delete(name);
      onChange?.();
      setParams(next);
    },
    [params, setParams, onChange],
  );
  return { params, set };
}

/** From and to, in the reader's local time, as `from` and `to` in the URL. */
export function TimeRange({ params, set }: ReturnType<typeof useUrlFilters>) {
  return (
    <>
      <label>
        From
        <input
          type="datetime-local"
          value={params.get("from") ?? ""}
          onChange={(e) => set("from", e.target.value)}
        />
      </label>
      <label>
        To
        <input
          type="datetime-local"
          value={params.get("to") ?? ""}
          onChange={(e) => set("to", e.target.value)}
        />
      </label>
    </>
  );
}

/** The `from`/`to` parameters as instants for a filter on `field`. */
export function timeConditions<F extends string>(params: URLSearchParams, field: F) {
  const out: Record<F, { gte?: string; lt?: string }>[] = [];
  const from = params.get("from");
  const to = params.get("to");
  if (from) out.push({ [field]: { gte: new Date(from).toISOString() } } as Record<F, { gte: string }>);
  if (to) out.push({ [field]: { lt: new Date(to).toISOString() } } as Record<F, { lt: string }>);
  return out;
}
