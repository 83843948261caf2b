// A dense table whose rows are virtualised (only those in view are in the page), and
// that asks for the next keyset page when scrolled near its end.
import { useVirtualizer } from "@tanstack/react-virtual";
import { type ReactNode, useEffect, useRef } from "react";

export type Column<T> = {
  header: string;
  cell: (row: T) => ReactNode;
  width?: string;
  /** The field to sort by when the header is clicked. */
  sort?: string;
};

const ROW = 28;

export function Table<T>({
  label,
  columns,
  rows,
  rowKey,
  total,
  hasMore,
  loadMore,
  fetching,
  height = 480,
  sort,
  onSort,
  selected,
  onSelect,
}: {
  label: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  total?: number;
  hasMore?: boolean;
  loadMore?: () => void;
  fetching?: boolean;
  height?: number;
  sort?: { field: string; desc: boolean };
  onSort?: (field: string) => void;
  selected?: ReadonlySet<string>;
  onSelect?: (key: string, on: boolean) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();
  const last = items.at(-1)?.index ?? -1;
  useEffect(() => {
    if (hasMore && !fetching && loadMore && last >= rows.length - 10) loadMore();
  }, [last, rows.length, hasMore, fetching, loadMore]);
  const template = [onSelect ? "2rem" : "", ...columns.map((c) => c.width ?? "minmax(6rem, 1fr)")].join(" ");
  return (
    <div className="table">
      {/* Only the rows in view are in the page: a real table, laid out as a grid. */}
      <div ref={scroller} className="tscroll" style={{ maxHeight: height }}>
        <table aria-label={label} aria-rowcount={total ?? rows.length}>
          <thead>
            <tr style={{ gridTemplateColumns: template }}>
              {onSelect && (
                <th scope="col">
                  <span className="sr-only">Selected</span>
                </th>
              )}
              {columns.map((c) => (
                <th
                  key={c.header}
                  scope="col"
                  aria-sort={
                    sort && c.sort === sort.field ? (sort.desc ? "descending" : "ascending") : undefined
                  }
                >
                  {c.sort && onSort ? (
                    <button type="button" className="link" onClick={() => onSort(c.sort as string)}>
                      {c.header}
                      {sort?.field === c.sort ? (sort.desc ? " ↓" : " ↑") : ""}
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const row = rows[item.index];
              const key = rowKey(row);
              return (
                <tr
                  key={key}
                  aria-rowindex={item.index + 2}
                  style={{
                    gridTemplateColumns: template,
                    transform: `translateY(${item.start}px)`,
                    height: ROW,
                  }}
                >
                  {onSelect && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select row ${item.index + 1}`}
                        checked={selected?.has(key) ?? false}
                        onChange={(e) => onSelect(key, e.target.checked)}
                      />
                    </td>
                  )}
                  {columns.map((c) => (
                    <td key={c.header}>{c.cell(row)}</td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="tfoot" aria-live="polite">
        {rows.length === 0 && !fetching
          ? "Nothing matches."
          : `${rows.length}${total !== undefined ? ` of ${total}` : ""} shown`}
        {fetching && " — loading…"}
        {hasMore && !fetching && loadMore && (
          <button type="button" className="link" onClick={loadMore}>
            Load more
          </button>
        )}
      </p>
    </div>
  );
}
